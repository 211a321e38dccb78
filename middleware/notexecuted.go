package middleware

import (
	"context"
	"net/http"
	"sync/atomic"
)

type notExecutedKey struct{}

// NotExecuted tells the middleware that the handler of r did not act on
// the request at all — a reverse proxy could not reach its upstream, say —
// so the key is released whatever status the handler answers, and the
// client may retry with the same key. Calling it on a request the
// middleware did not claim does nothing. Call it only when nothing can have
// happened: a key released after a side effect lets a retry run twice.
func NotExecuted(r *http.Request) {
	if flag, ok := r.Context().Value(notExecutedKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
}

// withNotExecutedFlag returns ctx carrying a flag NotExecuted can set.
func withNotExecutedFlag(ctx context.Context) (context.Context, *atomic.Bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, notExecutedKey{}, flag), flag
}
