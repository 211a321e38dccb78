package e2e

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// TestQuickstartKeepsItsConnection sends the README Quickstart's requests
// to the demo over one keep-alive connection, curl's way, with requests the
// proxy answers without reading their body in between (400 missing key,
// 400 invalid key, 413 with 100 KiB left unread). Each must be answered on that one connection, and
// the proxy must not log a panic (golang/go#68560 under full duplex).
func TestQuickstartKeepsItsConnection(t *testing.T) {
	t.Parallel()
	p := startProxy(t, nil, "-demo")
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}

	key, body := unique("quickstart"), order("c-1", "tok_visa", 2)
	big := strings.Repeat(" ", 2<<20) // past max_request_body, 1 MiB
	steps := []struct {
		name, key, body string
		chunked         bool
		status          int
	}{
		{"first", key, body, false, http.StatusCreated},
		{"replay", key, body, false, http.StatusCreated},
		{"other body", key, strings.Replace(body, "2,", "3,", 1), false, http.StatusUnprocessableEntity},
		{"no key", "", body, false, http.StatusBadRequest},
		{"no key, chunked", "", body, true, http.StatusBadRequest},
		{"invalid key", strings.Repeat("k", 256), body, true, http.StatusBadRequest},
		{"too large, chunked", unique("big"), big[:1<<20+100<<10], true, http.StatusRequestEntityTooLarge},
		{"after them", unique("after"), body, false, http.StatusCreated},
	}
	conns := 0
	for _, s := range steps {
		var rd io.Reader = strings.NewReader(s.body)
		if s.chunked {
			rd = struct{ io.Reader }{rd} // hides the length: chunked
		}
		req, err := http.NewRequest(http.MethodPost, p.url+"/orders", rd)
		if err != nil {
			t.Fatal(err)
		}
		if s.key != "" {
			req.Header.Set("Idempotency-Key", s.key)
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if !info.Reused {
					conns++
				}
			},
		}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Errorf("%s: status %d, want %d", s.name, resp.StatusCode, s.status)
		}
	}
	if conns != 1 {
		t.Errorf("%d connections for %d requests, want 1", conns, len(steps))
	}
	if out := p.output(); strings.Contains(out, "panic") {
		t.Errorf("the proxy logged a panic:\n%s", out)
	}
}
