package chaos

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// countingUpstream is an upstream of the test's own, for what orderapp
// cannot do (an empty-body POST, a huge response, requests held open): a
// real HTTP server on loopback that counts its executions per
// Idempotency-Key and answers 201 with "<key> run <n>".
type countingUpstream struct {
	url string

	mu   sync.Mutex
	runs map[string]int
	// handle, when set, answers instead of the default 201.
	handle func(w http.ResponseWriter, r *http.Request)
}

func startCountingUpstream(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *countingUpstream {
	t.Helper()
	u := &countingUpstream{runs: map[string]int{}, handle: handle}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	u.url = "http://" + ln.Addr().String()
	return u
}

func (u *countingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	key := r.Header.Get("Idempotency-Key")
	u.mu.Lock()
	u.runs[key]++
	n := u.runs[key]
	u.mu.Unlock()
	if u.handle != nil {
		u.handle(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "%s run %d\n", key, n)
}

// ran returns how many times key was executed.
func (u *countingUpstream) ran(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.runs[key]
}

// total returns the executions of every key.
func (u *countingUpstream) total() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, v := range u.runs {
		n += v
	}
	return n
}

// send sends method url with key and body (empty: no body) and reads the
// response, failing the test on a transport error.
func send(t *testing.T, method, url, key, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = stringsReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	r, err := do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func stringsReader(s string) io.Reader { return &stringReader{s: s} }

// stringReader is strings.Reader without WriteTo/Len, so the client does
// not learn the length up front: the body goes out chunked.
type stringReader struct{ s string }

func (r *stringReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}
