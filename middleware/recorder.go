package middleware

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// recorder streams the handler's response to the client and tees up to max
// bytes of it for the store. A client that goes away does not stop the
// handler: once a write to the client fails, later writes are only
// captured, and the handler sees success, so it finishes its work and the
// result is still recorded. What the captured bytes cannot
// reproduce (a body shorter than its declared length, a hijacked
// connection, trailers, more than max bytes) is marked not replayable: a
// retry never gets a response the first client did not get.
type recorder struct {
	w   http.ResponseWriter
	rt  *route
	max int64
	pre http.Header // headers set before the handler ran (by outer layers)

	status    int
	header    http.Header // what the handler set, filtered for the store, at WriteHeader
	body      []byte
	spoiled   bool // not replayable: too large, or not what the client got
	clientErr error
	// cut is set when the handler was still running at HandlerTimeout:
	// its response was cut short then, by its context on the upstream's
	// side and by a write deadline on the client's (see cutWhenDone).
	cut atomic.Bool
	// lateWrite is set when the handler wrote after cut: the response was
	// still going out when its time was up.
	lateWrite bool
	// noDeadline is set when the client's writer could not take a write
	// deadline (an outer wrapper without Unwrap): then nothing bounds a
	// write to a client that does not read. writing is set while a write
	// to the client is under way.
	noDeadline, writing atomic.Bool
}

// stuckWriting reports whether the handler is blocked writing to the client
// with no deadline to end it: it is alive, and its lease must be renewed
// until it returns.
func (r *recorder) stuckWriting() bool { return r.noDeadline.Load() && r.writing.Load() }

func newRecorder(w http.ResponseWriter, rt *route, pre http.Header, buf []byte) *recorder {
	return &recorder{w: w, rt: rt, max: rt.policy.MaxResponseBody, pre: pre, body: buf[:0]}
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return // superfluous, as net/http would log it
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational responses (103 Early Hints) go out but are not the
		// response to record.
		r.w.WriteHeader(code)
		return
	}
	r.status = code
	r.header = r.rt.storedHeader(r.w.Header(), r.pre)
	if code == http.StatusSwitchingProtocols {
		r.spoiled = true // the rest is another protocol
	}
	r.presize()
	r.w.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.cut.Load() {
		r.lateWrite = true
	}
	if r.clientErr == nil {
		r.writing.Store(true)
		n, err := r.w.Write(p)
		r.writing.Store(false)
		if errors.Is(err, http.ErrContentLength) || errors.Is(err, http.ErrBodyNotAllowed) || errors.Is(err, http.ErrHijacked) {
			// net/http refused these bytes whatever the client does: they
			// were not sent, so they are not captured either, and the
			// handler must hear it. The client got what was sent before,
			// and that is what a retry may replay (response checks the
			// declared length against it).
			return n, err
		}
		if err != nil {
			r.clientErr = err
		}
	}
	if !r.spoiled {
		if int64(len(r.body))+int64(len(p)) > r.max {
			r.spoiled = true
			r.body = r.body[:0]
		} else {
			r.body = append(r.body, p...)
		}
	}
	return len(p), nil
}

// presize sizes the capture for a declared Content-Length up to max, so a
// large response is captured with one allocation instead of a doubling
// series of them. A length the handler then does not write costs only
// the allocation: the response is marked not replayable by response.
func (r *recorder) presize() {
	cl := r.w.Header().Get("Content-Length")
	if cl == "" || r.spoiled {
		return
	}
	n, err := strconv.ParseInt(cl, 10, 64)
	if err != nil || n <= int64(cap(r.body)) || n > r.max {
		return
	}
	r.body = slices.Grow(r.body, int(n))
}

// Flush keeps streaming handlers streaming; a client that is gone is
// ignored, like a failed write.
func (r *recorder) Flush() { _ = r.FlushError() }

// FlushError is what http.ResponseController calls.
func (r *recorder) FlushError() error {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.clientErr != nil {
		return nil
	}
	r.writing.Store(true)
	err := http.NewResponseController(r.w).Flush()
	r.writing.Store(false)
	if errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if err != nil {
		r.clientErr = err
	}
	return nil
}

// Hijack hands the connection over; the response can no longer be seen, so
// the request is recorded as not replayable.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.w).Hijack()
	if err == nil {
		r.spoiled = true
		if r.status == 0 {
			r.status = http.StatusSwitchingProtocols
		}
	}
	return conn, rw, err
}

// cutWhenDone bounds the response's delivery by the handler's context:
// once ctx ends (HandlerTimeout), writes to the client get grace more to
// complete, then fail, so that a client that stopped reading cannot keep
// the handler, and with it the claim, alive forever. The returned function
// stops it; call it once the handler has returned. A response cut this way
// is recorded as not replayable: the handler's upstream side ended at the
// same moment, so what was captured is not known to be whole.
func (r *recorder) cutWhenDone(ctx context.Context, grace time.Duration) (stop func()) {
	fired := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		defer close(fired)
		r.cut.Store(true)
		if err := http.NewResponseController(r.w).SetWriteDeadline(time.Now().Add(grace)); err != nil {
			// ErrNotSupported, from a writer without deadlines: the
			// handler's context is then the only bound (see noDeadline).
			r.noDeadline.Store(true)
		}
	})
	return func() {
		if !stopAfter() {
			<-fired // it ran, or is running: let it finish before finish reads cut
		}
	}
}

// Unwrap lets http.NewResponseController reach the underlying writer's
// deadlines and other extensions.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// response returns the status to finish with, and whether the captured
// response is exactly what a client received whole. A handler that wrote
// nothing sent an empty 200.
func (r *recorder) response(method string) (status int, replayable bool) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	h := r.w.Header()
	// Cut while it was still being written: the handler's upstream side
	// ended then too, so what was captured is not known to be whole. A
	// handler done writing before its time (returning a moment after) is
	// not.
	if r.spoiled || r.cut.Load() && (r.lateWrite || r.clientErr != nil) || hasTrailers(h) {
		return r.status, false
	}
	// A declared length the body does not match was cut off (or padded) on
	// the wire; the client saw a broken response, so no retry may see a
	// whole one.
	if cl := h.Get("Content-Length"); cl != "" && method != http.MethodHead && bodyAllowed(r.status) {
		if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n != int64(len(r.body)) {
			return r.status, false
		}
	}
	return r.status, true
}

func hasTrailers(h http.Header) bool {
	if _, ok := h["Trailer"]; ok {
		return true
	}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
