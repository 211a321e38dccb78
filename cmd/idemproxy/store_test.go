package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// /readyz is 503 "store full" while the memory store would refuse every
// new key (full of records in progress), and 200 again once it may forget
// one (a record finished).
func TestReadyzStoreFull(t *testing.T) {
	t.Parallel()
	ms, err := memstore.New(memstore.Config{MaxRecords: 1})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := &admin{reg: prometheus.NewRegistry(), store: ms, log: log, draining: new(atomic.Bool), records: &records{log: log}}
	srv := httptest.NewServer(a.handler())
	t.Cleanup(srv.Close)
	readyz := func(when string, wantStatus int, wantBody string) {
		t.Helper()
		if status, body := call(t, http.MethodGet, srv.URL+"/readyz", ""); status != wantStatus || body != wantBody {
			t.Errorf("%s: /readyz got %d %q, want %d %q", when, status, body, wantStatus, wantBody)
		}
	}

	readyz("empty", http.StatusOK, "ok\n")
	key := store.Key{Scope: "s", ID: "k"}
	if _, err := ms.Claim(t.Context(), store.ClaimRequest{Key: key, Owner: "o", Lease: time.Minute, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	readyz("full of a request in progress", http.StatusServiceUnavailable, "store full\n")
	if !strings.Contains(logs.String(), "readyz: store full") {
		t.Errorf("log %q, want a \"readyz: store full\" warning", logs.String())
	}
	if err := ms.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Completed, Status: 201, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	readyz("full of a record it may forget", http.StatusOK, "ok\n")
}

// The proxy's memory store takes memory.max_records and memory.min_age
// from the config and puts its metrics on the proxy's registry.
func TestOpenStoreMemory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	file := "upstream:\n  url: http://127.0.0.1:1\nmemory:\n  max_records: 1\n  min_age: 1h\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := proxyconfig.Load(proxyconfig.Sources{File: path, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	st, closeStore, err := openStore(context.Background(), cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)

	key := store.Key{Scope: "s", ID: "first"}
	if _, err := st.Claim(t.Context(), store.ClaimRequest{Key: key, Owner: "o", Lease: time.Minute, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Completed, Status: 201, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// One record (max_records 1), finished just now (min_age 1h): protected.
	if _, err := st.Claim(t.Context(), store.ClaimRequest{Key: store.Key{Scope: "s", ID: "second"}, Owner: "o", Lease: time.Minute, TTL: time.Hour}); !errors.Is(err, store.ErrFull) {
		t.Errorf("Claim of a second key: got %v, want ErrFull (max_records 1, the first within min_age)", err)
	}
	want := `
# HELP idemproxy_memstore_full_refusals_total New keys the memory store refused (ErrFull) because it was full and could forget nothing: every record in progress or younger than min_age.
# TYPE idemproxy_memstore_full_refusals_total counter
idemproxy_memstore_full_refusals_total 1
# HELP idemproxy_memstore_max_records The memory store's bound on records (max_records).
# TYPE idemproxy_memstore_max_records gauge
idemproxy_memstore_max_records 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "idemproxy_memstore_full_refusals_total", "idemproxy_memstore_max_records"); err != nil {
		t.Error(err)
	}
}
