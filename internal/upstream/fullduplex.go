package upstream

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
)

// FullDuplex lets the proxy keep reading a streamed request body after the
// upstream's response began: without it net/http's HTTP/1 server closes the
// body when the response starts, the transport's last read fails, and the
// response is cut (golang/go#40747; about 0.3% of 1 MiB requests on routes
// the middleware passes through). HTTP/2 needs nothing, and says so with an
// error that is ignored.
//
// Only a request whose own body reaches the ReverseProxy is switched to
// full duplex, by the proxy's Rewrite just before the upstream is asked: a
// covered route's body was read whole by the middleware, and a request the
// middleware rejects (400, 413) is best left to net/http, which answers it
// and then closes the connection when the body was not read. Switched on
// for those, FullDuplex would read a body the client may never send: one
// that sent Expect: 100-continue waits for a 100 or the final response,
// and the server would wait for its body.
//
// Full duplex has a cost net/http leaves to the handler: when a request is
// answered without its body being read (a 502, or an upstream that answers
// early), the server's closing read of the body runs after the handler, and
// races its read of the next request on the connection: a panic, and the
// keep-alive connection is lost (golang/go#68560). So FullDuplex finishes
// with the body itself before returning, where that read is safe: it reads
// up to maxDrain of what is left, then closes the body, which discards up
// to another 256 KiB, or marks the connection to be closed after the
// response, as net/http does without full duplex. That read must find a
// body: a client that sent Expect: 100-continue sends it only after the
// 100, and a flush cannot end a chunked response from inside the handler,
// so a request switched to full duplex is sent its 100 Continue then, as
// the transport's first read of the body would, just before the dial.
func FullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		d := &duplex{rc: http.NewResponseController(w), body: r.Body}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), duplexKey{}, d)))
		if !d.on.Load() {
			return
		}
		_, _ = io.CopyN(io.Discard, d.body, maxDrain)
		_ = d.body.Close()
	})
}

// maxDrain is how much of an unread request body FullDuplex reads after the
// handler, net/http's own bound (maxPostHandlerReadBytes) for the same job.
const maxDrain = 256 << 10

// duplex is what FullDuplex leaves for enableFullDuplex: the connection's
// own body, the controller to switch, and whether it was switched.
type duplex struct {
	rc   *http.ResponseController
	body io.ReadCloser
	// on is atomic: a covered request's handler may run on another
	// goroutine (the middleware detaches it), though it never switches.
	on atomic.Bool
}

type duplexKey struct{}

// enableFullDuplex switches r's response to full duplex when r is about to
// stream the body FullDuplex saw arrive, untouched (the middleware gives
// the upstream its own copy of a body it read, which needs nothing).
func enableFullDuplex(r *http.Request) {
	d, ok := r.Context().Value(duplexKey{}).(*duplex)
	if !ok || r.Body != d.body {
		return
	}
	if d.rc.EnableFullDuplex() != nil {
		return
	}
	d.on.Store(true)
	if r.Header.Get("Expect") != "" {
		// net/http writes the 100 on the body's first read, even an empty
		// one; only a chunked body then waits for its first chunk header,
		// which the client sends on the 100.
		_, _ = r.Body.Read(nil)
	}
}
