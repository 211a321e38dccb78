package middleware

import (
	"errors"
	"io"
	"net/http"
	"slices"
)

// errBodyTooLarge reports a request body past the route's MaxRequestBody.
var errBodyTooLarge = errors.New("request body too large")

// readBody reads the whole request body, up to limit bytes; past it,
// errBodyTooLarge. A declared Content-Length past the limit is refused
// before anything is read; one within it sizes the buffer, up to
// maxPresize at first, so a client that declares a large body and sends
// nothing does not get the server to allocate it. Once maxPresize bytes
// have arrived the buffer grows straight to the declared length: a client
// that has sent that much is sending the body, and doubling up to it
// would copy a 1 MiB body four more times.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	buf := make([]byte, 0, min(max(r.ContentLength+1, 512), maxPresize))
	// Read one byte past the limit to tell "exactly limit" from "more".
	lr := io.LimitedReader{R: r.Body, N: limit + 1}
	for {
		if len(buf) == cap(buf) {
			if want := int(r.ContentLength) + 1; len(buf) >= maxPresize && want > cap(buf) {
				buf = slices.Grow(buf, want-len(buf))
			} else {
				buf = append(buf, 0)[:len(buf)]
			}
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errBodyTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// getBuf returns a pooled buffer for a response capture.
func (m *Middleware) getBuf() *[]byte {
	if b, ok := m.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

// putBuf returns a buffer to the pool unless it grew past maxPooledBuf. A
// capture is bounded by its route's max_response_body, and one of that
// size (1 MiB by default) is worth reusing: allocating it again means
// zeroing a megabyte of fresh pages per request. Past maxPooledBuf a
// buffer goes to the garbage collector, so a route allowed huge bodies
// does not keep them in the pool between its rare large responses.
func (m *Middleware) putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	m.bufs.Put(b)
}

const (
	maxPooledBuf = 4 << 20
	maxPresize   = 64 << 10
)
