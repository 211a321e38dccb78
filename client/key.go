package client

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

type keyCtx struct{}

// WithKey returns a context whose covered requests carry key (as is) instead
// of a fresh one: for a key persisted by a job that may run again, so that
// its second run gets the first run's result. A key in the request's header
// beats it; requests of methods the transport does not cover ignore it.
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

// keyFrom returns the context's WithKey key, if any.
func keyFrom(ctx context.Context) string {
	k, _ := ctx.Value(keyCtx{}).(string)
	return k
}

// callerKey returns the key the caller put in header name of h, whatever
// the spelling of the name, and whether it did.
func callerKey(h http.Header, name string) (string, bool) {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0], true
		}
	}
	return "", false
}

// requestKey decides the key of req: the caller's (header, then WithKey),
// else a fresh one for a covered method. set says whether the transport
// must add the header to each attempt (the caller's header is sent as is).
func (t *Transport) requestKey(req *http.Request) (key string, set bool) {
	if k, ok := callerKey(req.Header, t.cfg.Header); ok {
		return k, false
	}
	if !slices.Contains(t.cfg.Methods, req.Method) {
		return "", false
	}
	if k := keyFrom(req.Context()); k != "" {
		return k, true
	}
	return t.cfg.NewKey(), true
}

// idempotentMethod reports whether RFC 9110 makes method idempotent, so a
// request may be sent again without a key.
func idempotentMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
