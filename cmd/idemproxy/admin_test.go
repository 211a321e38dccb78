package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/store"
)

// adminFor serves the admin handler of a harness with token.
func adminFor(t *testing.T, h *harness, token string) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	return adminLogging(t, h, token, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// adminLogging is adminFor with the admin's logger.
func adminLogging(t *testing.T, h *harness, token string, log *slog.Logger) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	draining := new(atomic.Bool)
	a := &admin{reg: prometheus.NewRegistry(), store: h.store, log: log, draining: draining,
		records: &records{token: token, mw: h.mw, store: h.store, log: log}}
	srv := httptest.NewServer(a.handler())
	t.Cleanup(srv.Close)
	return srv, draining
}

// lockedBuffer is a log destination the servers write to while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// call sends method to u with "Authorization: Bearer <token>" (none when
// token is empty) and returns the status and the body.
func call(t *testing.T, method, u, token string) (int, string) {
	t.Helper()
	if token != "" {
		token = "Bearer " + token
	}
	return callAuthorization(t, method, u, token)
}

// callAuthorization is call with the whole Authorization value (none when
// empty).
func callAuthorization(t *testing.T, method, u, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminRecords(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"order_id":"o-1"}`)
	}))
	t.Cleanup(up.Close)
	h := newHarness(t, up.URL, 5*time.Second)
	adm, _ := adminFor(t, h, "s3cret")
	if status, _, _ := h.post(t, "ops-1"); status != http.StatusCreated {
		t.Fatalf("POST = %d, want 201", status)
	}
	byKey := adm.URL + "/records?" + url.Values{"route": {"default"}, "key": {"ops-1"}}.Encode()

	if status, _ := call(t, http.MethodGet, byKey, ""); status != http.StatusUnauthorized {
		t.Errorf("GET without token = %d, want 401", status)
	}
	if status, _ := call(t, http.MethodGet, byKey, "wrong"); status != http.StatusUnauthorized {
		t.Errorf("GET with a wrong token = %d, want 401", status)
	}
	status, body := call(t, http.MethodGet, byKey+"&body=1", "s3cret")
	var rec recordJSON
	if err := json.Unmarshal([]byte(body), &rec); status != http.StatusOK || err != nil {
		t.Fatalf("GET = %d %s (%v), want 200 and a record", status, body, err)
	}
	if rec.State != "COMPLETED" || rec.Status != 201 || rec.Response == nil || rec.Response.Body != `{"order_id":"o-1"}` {
		t.Errorf("record = %+v, want COMPLETED 201 with the stored body", rec)
	}
	// The hashed form operators see in logs addresses the same record.
	if status, _ := call(t, http.MethodGet, adm.URL+"/records?store_key="+url.QueryEscape(rec.StoreKey), "s3cret"); status != http.StatusOK {
		t.Errorf("GET by store_key = %d, want 200", status)
	}
	if status, _ := call(t, http.MethodDelete, byKey, "s3cret"); status != http.StatusNoContent {
		t.Errorf("DELETE = %d, want 204", status)
	}
	if status, _ := call(t, http.MethodGet, byKey, "s3cret"); status != http.StatusNotFound {
		t.Errorf("GET after DELETE = %d, want 404", status)
	}
	// The key runs again here (a new record is made): the replica's cached
	// copy went with the record.
	if status, _, _ := h.post(t, "ops-1"); status != http.StatusCreated {
		t.Errorf("POST after DELETE = %d, want 201", status)
	}
	if rec, err := h.record(t, "ops-1"); err != nil || rec.State != store.Completed {
		t.Errorf("record after the POST that followed DELETE: %v, %v; want a new COMPLETED record", rec.State, err)
	}
	if status, body := call(t, http.MethodGet, adm.URL+"/records?route=nope&key=k", "s3cret"); status != http.StatusBadRequest || !strings.Contains(body, "nope") {
		t.Errorf("GET on an unknown route = %d %s, want 400 naming it", status, body)
	}
}

func TestAdminRecordsDisabledWithoutToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1", time.Second)
	adm, _ := adminFor(t, h, "")
	if status, _ := call(t, http.MethodGet, adm.URL+"/records?route=default&key=k", ""); status != http.StatusNotFound {
		t.Errorf("GET = %d, want 404 (disabled)", status)
	}
}

func TestAdminProbes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1", time.Second)
	adm, draining := adminFor(t, h, "")
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if status, _ := call(t, http.MethodGet, adm.URL+p, ""); status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", p, status)
		}
	}
	draining.Store(true)
	if status, _ := call(t, http.MethodGet, adm.URL+"/readyz", ""); status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while draining = %d, want 503", status)
	}
	if status, _ := call(t, http.MethodGet, adm.URL+"/healthz", ""); status != http.StatusOK {
		t.Errorf("GET /healthz while draining = %d, want 200 (alive)", status)
	}
}

func TestHealthcheckFlag(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1", time.Second)
	adm, draining := adminFor(t, h, "")
	if err := run(t.Context(), []string{"-healthcheck", adm.URL + "/healthz"}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("-healthcheck on a live admin = %v, want nil", err)
	}
	draining.Store(true)
	if err := run(t.Context(), []string{"-healthcheck", adm.URL + "/readyz"}, noEnv, io.Discard, io.Discard); err == nil {
		t.Errorf("-healthcheck on a failing /readyz = nil, want an error")
	}
}
