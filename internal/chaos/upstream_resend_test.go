package chaos

import (
	"net/http"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestUpstreamResetOnAReusedConnectionIsNotResent is matrix row 6b on a
// pooled connection: the upstream executed the request, then the
// connection broke before the response came back. The proxy must answer
// 502 (recorded failed) and never send the request again — whatever the
// request's body. (net/http's Transport resends, on a new connection, a
// request it deems replayable whose reused connection broke before the
// first response byte; a request without a body that carries an
// Idempotency-Key header is such a request.)
func TestUpstreamResetOnAReusedConnectionIsNotResent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method, body string
	}{
		{"POST with a body", http.MethodPost, `{"amount":100}`},
		{"POST without a body", http.MethodPost, ""},
		{"PATCH without a body", http.MethodPatch, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := startCountingUpstream(t, nil)
			fp := startFault(t, up.url)
			p := startProxy(t, proxyConfig{Upstream: "http://" + fp.Addr(), Redis: redisURL(redistest.Shared(t).Addr()), Routes: anyRoute})
			// A first request opens the connection the next one reuses.
			if r := send(t, http.MethodPost, p.url+"/payments", unique("warm"), "x"); r.status != http.StatusCreated {
				t.Fatalf("warm-up: %v", r)
			}
			// The second response on a connection is lost: the
			// connection resets instead.
			var once sync.Once
			fp.SetFilter(func(c faultproxy.Chunk) faultproxy.Decision {
				reset := false
				if c.Dir == faultproxy.ToClient && c.Offset > 0 {
					once.Do(func() { reset = true })
				}
				if reset {
					return faultproxy.Decision{Verdict: faultproxy.Reset}
				}
				return faultproxy.Decision{}
			})
			key := unique("capture")
			r := send(t, tc.method, p.url+"/payments/p1/capture", key, tc.body)
			retry := send(t, tc.method, p.url+"/payments/p1/capture", key, tc.body)
			runs := up.ran(key)
			observed(t, "%s, upstream reset after executing on a reused connection: %v; retry %v; upstream ran it %d times", tc.name, r, retry, runs)
			if r.status != http.StatusBadGateway || r.problem != problemUpstreamFailed || runs != 1 {
				t.Errorf("got %v and %d executions, want 502 %s and 1 execution", r, runs, problemUpstreamFailed)
			}
			if retry.status != http.StatusConflict || retry.problem != problemFailed {
				t.Errorf("retry: %v, want 409 %s", retry, problemFailed)
			}
		})
	}
}
