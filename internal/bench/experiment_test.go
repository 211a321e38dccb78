package bench

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestExperiments: the what-if builds still behave as idemproxy does — the
// first request runs, a retry replays, another body under the same key is
// refused — so the numbers measured with them are numbers of a correct
// proxy. 40 concurrent requests with distinct keys run through the
// batching client at once.
func TestExperiments(t *testing.T) {
	t.Parallel()
	for _, exp := range []string{"", "cache", "batch", "cache,batch,bufferpool"} {
		t.Run("experiments="+exp, func(t *testing.T) {
			t.Parallel()
			x, err := ParseExperiments(exp)
			if err != nil {
				t.Fatal(err)
			}
			upstream := httptest.NewServer(Upstream())
			t.Cleanup(upstream.Close)
			h, closeStore, err := IdemHandler(t.Context(), benchConfig(t, upstream.URL), prometheus.NewRegistry(), quiet, x)
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

			var wg sync.WaitGroup
			errs := make(chan string, 40)
			for i := range 40 {
				wg.Go(func() {
					if status, replayed, _ := postBody(t, srv.URL+"/orders", key+"-"+strconv.Itoa(i), OrderBody); status != http.StatusCreated || replayed {
						errs <- "a fresh key got " + http.StatusText(status)
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
}

func postBody(t *testing.T, url, key, body string) (status int, replayed bool, respBody string) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, false, ""
	}
	req.Header.Set("Authorization", "Bearer bench-token")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, false, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", string(b)
}
