package bench

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestIdemHandler: the profiling build behaves as idemproxy does — the
// first request runs, a retry replays the first response, another body
// under the same key is refused — so its profiles are those of a correct
// proxy.
func TestIdemHandler(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(Upstream())
	t.Cleanup(up.Close)
	h, closeStore, err := IdemHandler(t.Context(), benchConfig(t, up.URL), prometheus.NewRegistry(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	key := rand.Text()
	var first string
	for i, want := range []struct {
		body     string
		status   int
		replayed bool
	}{
		{OrderBody, http.StatusCreated, false},
		{OrderBody, http.StatusCreated, true},
		{strings.Replace(OrderBody, "c-1", "c-2", 1), http.StatusUnprocessableEntity, false},
	} {
		status, replayed, body := postBody(t, srv.URL+"/orders", key, want.body)
		if status != want.status || replayed != want.replayed {
			t.Fatalf("request %d: status %d, replayed %v; want %d, %v", i+1, status, replayed, want.status, want.replayed)
		}
		if i == 0 {
			first = body
		} else if want.replayed && body != first {
			t.Errorf("request %d replayed %q, want the first response %q", i+1, body, first)
		}
	}
}

func postBody(t *testing.T, url, key, body string) (status int, replayed bool, respBody string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer bench-token")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", string(b)
}
