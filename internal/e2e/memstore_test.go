package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const problemStoreFull = problemBase + "store-full"

// sampleConfig writes the repository's config.yaml with each old string
// (which it must hold) replaced by its new one, pairwise, and returns the
// file's path.
func sampleConfig(t *testing.T, oldNew ...string) string {
	t.Helper()
	data, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !bytes.Contains(data, []byte(oldNew[i])) {
			t.Fatalf("config.yaml has no %q to replace", oldNew[i])
		}
		data = bytes.Replace(data, []byte(oldNew[i]), []byte(oldNew[i+1]), 1)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readyz returns the proxy's /readyz status and body.
func readyz(t *testing.T, p *proxy) (int, string) {
	t.Helper()
	resp, err := client.Get(p.admin + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMemoryStoreFull: a proxy on the memory store with max_records 2.
// While both records are orders in progress a new key is 503 store-full,
// the upstream not called, and /readyz is 503 "store full"; once they have
// finished, a new key forgets the one that finished first (counted and
// logged) and runs.
func TestMemoryStoreFull(t *testing.T) {
	t.Parallel()
	upstream := startOrderapp(t, "-latency", "1s")
	p := startProxy(t, nil, "-config", sampleConfig(t, "max_records: 100000", "max_records: 2"), "-upstream", upstream)

	type result struct {
		r   response
		err error
	}
	done := make(chan result, 2)
	for i := range 2 {
		go func() {
			r, err := post(p.url, unique("full-slow"), order(unique("cust"), "tok_visa", 1))
			done <- result{r, err}
		}()
		waitInFlight(t, p, float64(i+1))
	}
	key, body := unique("full-new"), order(unique("cust"), "tok_visa", 1)
	if r := postOrder(t, p.url, key, body); r.status != http.StatusServiceUnavailable || r.problem != problemStoreFull || r.header.Get("Retry-After") != "1" {
		t.Errorf("new key while the store is full of orders in progress = %d %s (Retry-After %q), want 503 %s, Retry-After 1",
			r.status, r.problem, r.header.Get("Retry-After"), problemStoreFull)
	}
	if status, body := readyz(t, p); status != http.StatusServiceUnavailable || body != "store full\n" {
		t.Errorf("/readyz while full = %d %q, want 503 \"store full\\n\"", status, body)
	}
	for range 2 {
		if res := <-done; res.err != nil || res.r.status != http.StatusCreated {
			t.Fatalf("order in progress = %d %s, %v; want 201", res.r.status, res.r.body, res.err)
		}
	}
	if status, _ := readyz(t, p); status != http.StatusOK {
		t.Errorf("/readyz once the orders finished = %d, want 200", status)
	}

	first := postOrder(t, p.url, key, body)
	if first.status != http.StatusCreated {
		t.Fatalf("the refused key once the orders finished = %d %s, want 201", first.status, first.body)
	}
	if r := postOrder(t, p.url, key, body); r.status != http.StatusCreated || r.body != first.body || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("its retry = %d %s (replayed %q), want the replay of %s", r.status, r.body, r.header.Get("Idempotent-Replayed"), first.body)
	}
	if got := charges(t, upstream); got != 3 {
		t.Errorf("orderapp_payment_charges_total = %v, want 3 (the refused key ran once, after the refusal)", got)
	}
	m := scrape(t, p.admin+"/metrics")
	for name, want := range map[string]float64{
		"idemproxy_memstore_evictions_total":     1,
		"idemproxy_memstore_full_refusals_total": 1,
		"idemproxy_memstore_records":             2,
		"idemproxy_memstore_max_records":         2,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (exported %v), want %v", name, got, ok, want)
		}
	}
	if out := p.output(); !strings.Contains(out, "memstore: full, forgot the oldest finished records") || !strings.Contains(out, `"evicted":1`) {
		t.Errorf("proxy log has no eviction warning with evicted 1:\n%s", out)
	}
}
