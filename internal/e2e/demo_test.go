package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestDemoCommandRunsTheProduct runs what the README's first command runs
// (idemproxy -config config.yaml -demo: orderapp in process, memory store)
// and places an order twice through it.
func TestDemoCommandRunsTheProduct(t *testing.T) {
	t.Parallel()
	p := startProxy(t, nil, "-demo")
	if !strings.Contains(p.output(), "using the in-process memory store") {
		t.Errorf("no log line saying the memory store is in use")
	}
	key, body := unique("demo"), order("c-1", "tok_visa", 1)
	first := postOrder(t, p.url, key, body)
	second := postOrder(t, p.url, key, body)
	if first.status != http.StatusCreated || second.body != first.body || second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("POST, POST = %d %s, %d %s; want 201 and its replay", first.status, first.body, second.status, second.body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get(p.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
}
