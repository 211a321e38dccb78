package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// harness is the proxy's handler chain (middleware over the reverse proxy)
// served by a real http.Server, in front of upstreamURL.
type harness struct {
	srv   *httptest.Server
	mw    *middleware.Middleware
	store *memstore.Store
}

func newHarness(t *testing.T, upstreamURL string, handlerTimeout time.Duration) *harness {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mw, err := middleware.New(st, middleware.Config{
		Policy: middleware.Policy{Scope: "none", HandlerTimeout: handlerTimeout},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(upstreamURL)
	if err != nil {
		t.Fatal(err)
	}
	uc := proxyconfig.Upstream{DialTimeout: proxyconfig.Duration(time.Second), MaxIdleConnsPerHost: 4}
	tr := upstream.NewTransport(uc)
	t.Cleanup(tr.CloseIdleConnections)
	srv := httptest.NewServer(mw.Handler(upstream.NewProxy(target, tr, uc, log)))
	t.Cleanup(srv.Close)
	return &harness{srv: srv, mw: mw, store: st}
}

// post sends POST /orders with key and returns the status, the problem type
// (if any) and the error reading the body.
func (h *harness) post(t *testing.T, key string) (status int, problemType string, readErr error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/orders", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", key)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(resp.Body)
	var p struct{ Type string }
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		_ = json.Unmarshal(body, &p)
	}
	return resp.StatusCode, p.Type, readErr
}

func (h *harness) record(t *testing.T, key string) (store.Record, error) {
	t.Helper()
	k, err := h.mw.StorageKey("default", "", key)
	if err != nil {
		t.Fatal(err)
	}
	return h.store.Get(context.Background(), k)
}

func TestUpstreamRefusedReleasesTheKey(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	h := newHarness(t, "http://"+addr, 5*time.Second)

	status, typ, _ := h.post(t, "refused-1")
	if status != http.StatusBadGateway || typ != string(upstream.ProblemUpstreamUnreachable) {
		t.Fatalf("POST = %d %s, want 502 %s", status, typ, upstream.ProblemUpstreamUnreachable)
	}
	if _, err := h.record(t, "refused-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record after refused = %v, want released (ErrNotFound)", err)
	}
	// Released, so the same key runs again rather than getting 409.
	if status, typ, _ := h.post(t, "refused-1"); status != http.StatusBadGateway || typ != string(upstream.ProblemUpstreamUnreachable) {
		t.Errorf("retry = %d %s, want 502 %s again", status, typ, upstream.ProblemUpstreamUnreachable)
	}
}

func TestUpstreamTimeoutIsRecordedFailed(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers in time
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(up.Close)
	t.Cleanup(func() { close(release) })
	h := newHarness(t, up.URL, 100*time.Millisecond)

	if status, typ, _ := h.post(t, "slow-1"); status != http.StatusGatewayTimeout || typ != string(upstream.ProblemUpstreamTimeout) {
		t.Fatalf("POST = %d %s, want 504 %s", status, typ, upstream.ProblemUpstreamTimeout)
	}
	rec, err := h.record(t, "slow-1")
	if err != nil || rec.State != store.Failed || rec.Status != http.StatusGatewayTimeout {
		t.Fatalf("record = %v %d, %v; want FAILED 504", rec.State, rec.Status, err)
	}
	if status, typ, _ := h.post(t, "slow-1"); status != http.StatusConflict || typ != string(middleware.ProblemPreviouslyFailed) {
		t.Errorf("retry = %d %s, want 409 %s", status, typ, middleware.ProblemPreviouslyFailed)
	}
}

// hijackingUpstream answers with what respond writes on the raw connection,
// then closes it.
func hijackingUpstream(t *testing.T, respond string) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString(respond)
		_ = buf.Flush()
		_ = conn.Close()
	}))
	t.Cleanup(up.Close)
	return up
}

func TestUpstreamTruncatedBodyIsAbortedNotStored(t *testing.T) {
	t.Parallel()
	up := hijackingUpstream(t, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"order_id\":")
	h := newHarness(t, up.URL, 5*time.Second)

	_, _, readErr := h.post(t, "cut-1")
	if readErr == nil {
		t.Fatalf("reading a truncated response: no error, want the response aborted")
	}
	rec, err := h.record(t, "cut-1")
	if err != nil || rec.State != store.Failed || rec.Response != nil {
		t.Fatalf("record = %v, response %v, %v; want FAILED with nothing stored", rec.State, rec.Response, err)
	}
	if status, typ, _ := h.post(t, "cut-1"); status != http.StatusConflict || typ != string(middleware.ProblemPreviouslyFailed) {
		t.Errorf("retry = %d %s, want 409 %s (never the truncated body)", status, typ, middleware.ProblemPreviouslyFailed)
	}
}

func TestUpstreamResetAfterSendingIsRecordedFailed(t *testing.T) {
	t.Parallel()
	up := hijackingUpstream(t, "") // reads the request, closes without answering
	h := newHarness(t, up.URL, 5*time.Second)

	if status, typ, _ := h.post(t, "reset-1"); status != http.StatusBadGateway || typ != string(upstream.ProblemUpstreamFailed) {
		t.Fatalf("POST = %d %s, want 502 %s", status, typ, upstream.ProblemUpstreamFailed)
	}
	if rec, err := h.record(t, "reset-1"); err != nil || rec.State != store.Failed {
		t.Errorf("record = %v, %v; want FAILED (the request may have taken effect)", rec.State, err)
	}
}

// TestUpstreamSeesKeyAndFencingToken: the key reaches the upstream (under
// any spelling of the field name, which HTTP ignores) with the claim's
// fencing token, although the proxy hides it from net/http's resend check.
func TestUpstreamSeesKeyAndFencingToken(t *testing.T) {
	t.Parallel()
	seen := make(chan [2]string, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- [2]string{r.Header.Get("Idempotency-Key"), r.Header.Get("Idempotency-Fencing-Token")}
		w.WriteHeader(http.StatusCreated)
	}))
	defer up.Close()
	h := newHarness(t, up.URL, time.Minute)
	if status, _, err := h.post(t, "k-seen"); status != http.StatusCreated || err != nil {
		t.Fatalf("got %d, %v; want 201", status, err)
	}
	got := <-seen
	if got[0] != "k-seen" || got[1] == "" {
		t.Errorf("upstream saw key %q, fencing token %q; want k-seen and a token", got[0], got[1])
	}
}
