package middleware

import (
	"bufio"
	"net"
	"net/http"
)

// recorder streams the handler's response to the client and tees up to max
// bytes of it for the store. A client that goes away does not stop the
// handler: once a write to the client fails, later writes are only
// captured, and the handler sees success, so it finishes its work and the
// result is still recorded (DESIGN §2.7).
type recorder struct {
	w   http.ResponseWriter
	max int64

	status    int
	header    http.Header // snapshot at WriteHeader, for the store
	body      []byte
	overflow  bool // the body passed max: not replayable
	clientErr error
	hijacked  bool
}

func newRecorder(w http.ResponseWriter, max int64, buf []byte) *recorder {
	return &recorder{w: w, max: max, body: buf[:0]}
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
	r.header = r.w.Header().Clone()
	r.w.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !r.overflow {
		if int64(len(r.body))+int64(len(p)) > r.max {
			r.overflow = true
			r.body = r.body[:0]
		} else {
			r.body = append(r.body, p...)
		}
	}
	if r.clientErr == nil {
		if _, err := r.w.Write(p); err != nil {
			r.clientErr = err
		}
	}
	return len(p), nil
}

// Flush keeps streaming handlers streaming; a client that is gone is ignored.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.clientErr == nil {
		_ = http.NewResponseController(r.w).Flush()
	}
}

// Hijack hands the connection over; the response can no longer be seen, so
// the request is recorded as not replayable.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.w).Hijack()
	if err == nil {
		r.hijacked = true
		r.overflow = true
		if r.status == 0 {
			r.status = http.StatusSwitchingProtocols
		}
	}
	return conn, rw, err
}

// Unwrap lets http.NewResponseController reach the underlying writer's
// deadlines and other extensions.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// result returns the status to finish with; a handler that wrote nothing
// sent an empty 200.
func (r *recorder) result() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
