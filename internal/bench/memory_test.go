package bench

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// TestRecordMemory: on a Redis of its own holding the records of five
// first requests and the RTT measurement's claims (IN_PROGRESS, under
// another prefix), RecordMemory measures exactly the five completed records, each in the
// compact few hundred bytes, and counts every key for the per-key figure.
func TestRecordMemory(t *testing.T) {
	t.Parallel()
	r, err := StartRedis(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	base, err := r.UsedMemory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MeasureRTT(t.Context(), r.URL(), 20); err != nil {
		t.Fatal(err)
	}

	up := httptest.NewServer(Upstream())
	t.Cleanup(up.Close)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, configYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := proxyconfig.Load(proxyconfig.Sources{File: path, Flags: map[string]string{"upstream": up.URL, "redis": r.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	h, closeStore, err := IdemHandler(t.Context(), cfg, prometheus.NewRegistry(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	run := rand.Text()
	for i := range 5 {
		if status, _, _ := postBody(t, srv.URL+"/orders", run+strconv.Itoa(i), OrderBody); status != http.StatusCreated {
			t.Fatalf("first request %d: status %d, want 201", i, status)
		}
	}

	m, err := r.RecordMemory(t.Context(), recordSamples, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Samples) != 5 {
		t.Fatalf("%d samples, want the 5 completed records only", len(m.Samples))
	}
	if lo, hi := m.Range(); lo < 100 || hi > 2000 || m.Median < lo || m.Median > hi {
		t.Errorf("MEMORY USAGE median %d in [%d, %d]: want a few hundred bytes each", m.Median, lo, hi)
	}
	if m.Keys <= 5 || m.UsedMemory <= 0 || m.PerKey() <= 0 {
		t.Errorf("keys %d, used_memory growth %d: want the records and the RTT claims counted", m.Keys, m.UsedMemory)
	}
	n, err := receiptLen(t.Context(), up.URL+"/orders")
	if err != nil || n < 50 || n > 100 {
		t.Errorf("receiptLen = %d, %v; want the upstream's receipt of 50 to 100 bytes", n, err)
	}
}
