package upstream

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// syncBuffer is a log sink the server's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestsAnsweredWithoutReadingTheirBody sends, on one keep-alive
// connection, a request that is answered without its body being read (by
// the middleware, the proxy's error handler, or an upstream that answers
// early), then a second request. The server must not panic
// (golang/go#68560, "invalid concurrent Body.Read call", which full duplex
// provokes) and, for bodies net/http would itself discard, must answer the
// second request on the same connection. A client that sent Expect:
// 100-continue sends its body only after a 100, so it must get a 100 or
// the final response without sending it.
func TestRequestsAnsweredWithoutReadingTheirBody(t *testing.T) {
	t.Parallel()
	early := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers before reading the body, as an upstream refusing an
		// upload does.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(early.Close)
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneURL := "http://" + gone.Addr().String()
	gone.Close() // nothing listens: dials are refused

	tests := []struct {
		name     string
		upstream string
		path     string
		header   string
		body     int  // bytes
		chunked  bool // else Content-Length
		expect   bool // Expect: 100-continue, the body sent only on a 100
		status   int
		kept     bool // the second request is answered on the connection
	}{
		{name: "missing key, Content-Length", upstream: early.URL, path: "/orders", body: 100, status: 400, kept: true},
		{name: "missing key, chunked", upstream: early.URL, path: "/orders", body: 100, chunked: true, status: 400, kept: true},
		{name: "invalid key, chunked", upstream: early.URL, path: "/orders", header: "Idempotency-Key: " + strings.Repeat("k", 256) + "\r\n", body: 100, chunked: true, status: 400, kept: true},
		{name: "413, chunked", upstream: early.URL, path: "/orders", header: "Idempotency-Key: k\r\n", body: 8 << 10, chunked: true, status: 413, kept: true},
		{name: "502 pass-through, Content-Length", upstream: goneURL, path: "/other", body: 100, status: 502, kept: true},
		{name: "502 pass-through, chunked", upstream: goneURL, path: "/other", body: 100, chunked: true, status: 502, kept: true},
		{name: "502 pass-through, 300 KiB chunked", upstream: goneURL, path: "/other", body: 300 << 10, chunked: true, status: 502, kept: true},
		{name: "502 pass-through, 600 KiB chunked", upstream: goneURL, path: "/other", body: 600 << 10, chunked: true, status: 502},
		{name: "502 pass-through, 1 MiB", upstream: goneURL, path: "/other", body: 1 << 20, status: 502},
		{name: "early answer, chunked", upstream: early.URL, path: "/other", body: 100, chunked: true, status: 403, kept: true},
		{name: "early answer, 300 KiB chunked", upstream: early.URL, path: "/other", body: 300 << 10, chunked: true, status: 403},
		{name: "missing key, Expect", upstream: early.URL, path: "/orders", body: 100, expect: true, status: 400},
		{name: "413 declared, Expect", upstream: early.URL, path: "/orders", header: "Idempotency-Key: k\r\n", body: 8 << 10, expect: true, status: 413},
		{name: "502 pass-through, Expect", upstream: goneURL, path: "/other", body: 100, expect: true, status: 502},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			srv := serveProxy(t, tc.upstream, logs)
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			body := strings.Repeat("a", tc.body)
			req := "POST " + tc.path + " HTTP/1.1\r\nHost: x\r\n" + tc.header
			if tc.expect {
				req += fmt.Sprintf("Expect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body))
			} else if tc.chunked {
				req += fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			} else {
				req += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
			}
			if !tc.expect {
				req += "GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
			}
			// The server may answer before it reads the request: write
			// from another goroutine, so neither side blocks on the other.
			go func() { _, _ = io.WriteString(conn, req) }()

			br := bufio.NewReader(conn)
			first, err := http.ReadResponse(br, nil)
			if err == nil && tc.expect && first.StatusCode == http.StatusContinue {
				_, _ = io.WriteString(conn, body)
				first, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				t.Fatalf("first response: %v", err)
			}
			if _, err := io.Copy(io.Discard, first.Body); err != nil {
				t.Errorf("first response body: %v, want it whole", err)
			}
			first.Body.Close()
			if first.StatusCode != tc.status {
				t.Errorf("first status = %d, want %d", first.StatusCode, tc.status)
			}
			// Answered without its body, an Expect request leaves the
			// connection's next bytes unknown: no second request.
			if !tc.expect {
				second, err := http.ReadResponse(br, nil)
				switch {
				case err == nil:
					_, _ = io.Copy(io.Discard, second.Body)
					second.Body.Close()
					if !tc.kept && second.StatusCode == http.StatusBadRequest {
						t.Errorf("second response is a 400: the rest of the first body was read as a request")
					}
				case tc.kept:
					t.Errorf("second request on the same connection: %v, want it answered", err)
				}
			}
			conn.Close()
			srv.Close() // waits for the connection's goroutine, and its log
			if strings.Contains(logs.String(), "panic") {
				t.Errorf("server logged a panic:\n%s", logs.String())
			}
		})
	}
}

// serveProxy runs the proxy's handler chain as cmd/idemproxy builds it, in
// front of upstream, with POST /orders covered (key required, 1 KiB body
// limit) and every other path passed through.
func serveProxy(t *testing.T, upstream string, logs io.Writer) *httptest.Server {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	mw, err := middleware.New(st, middleware.Config{
		Routes: []middleware.Route{{Name: "orders", Path: "/orders", Policy: middleware.Policy{
			Key: middleware.KeyRequired, Scope: "none", MaxRequestBody: 1 << 10,
		}}},
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(upstream)
	cfg := proxyconfig.Upstream{DialTimeout: proxyconfig.Duration(time.Second)}
	srv := httptest.NewUnstartedServer(FullDuplex(mw.Handler(NewProxy(target, NewTransport(cfg), cfg, logger))))
	srv.Config.ErrorLog = log.New(logs, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
