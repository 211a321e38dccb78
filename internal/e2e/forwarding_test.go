package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSidecarForwardsTheClient: behind a load balancer, the API behind the
// proxy sees the client chain with the balancer appended, the balancer's
// X-Forwarded-Proto, and the Host the client asked for, as it would
// without the sidecar.
func TestSidecarForwardsTheClient(t *testing.T) {
	t.Parallel()
	seen := make(chan http.Header, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		seen <- h
	}))
	t.Cleanup(api.Close)
	p := startProxy(t, nil, "-upstream", api.URL)
	req, _ := http.NewRequest(http.MethodGet, p.url+"/orders/1", nil)
	req.Host = "shop.example.com"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h := <-seen
	for name, want := range map[string]string{
		"Host":              "shop.example.com",
		"X-Forwarded-For":   "203.0.113.7, 127.0.0.1",
		"X-Forwarded-Proto": "https",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("the API saw %s %q, want %q", name, got, want)
		}
	}
}
