//go:build chaos

package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestRedisKilledWhileTheUpstreamRuns is matrix row 3: Redis dies (SIGKILL)
// while orderapp works on a claimed order, and stays down or comes back
// before the order finishes. The client gets its response either way; what
// a retry gets is what the README documents: with AOF (appendfsync always)
// the claim survived, so the retry gets the replay or 409; without
// persistence the record is gone, and the retry runs again.
func TestRedisKilledWhileTheUpstreamRuns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		aof         bool
		backInTime  bool // Redis is back before the upstream answers
		wantLast    func(r response) bool
		want        string
		wantCharges float64
	}{
		{"AOF, down until the response", true, false,
			func(r response) bool { return r.problem == problemAbandoned }, "409 abandoned (the finish was lost)", 1},
		{"AOF, back before the response", true, true,
			func(r response) bool { return r.status == http.StatusCreated && r.replayed() }, "the replay", 1},
		{"no persistence, down until the response", false, false,
			func(r response) bool { return r.status == http.StatusCreated && !r.replayed() }, "201 executed again (documented)", 2},
		{"no persistence, back before the response", false, true,
			func(r response) bool { return r.status == http.StatusCreated && !r.replayed() }, "201 executed again (documented)", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []redistest.Option
			if tc.aof {
				opts = append(opts, redistest.WithAOF())
			}
			rs := ownRedis(t, opts...)
			oa := startOrderapp(t, "-latency", "1500ms")
			p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr()), Lease: time.Second})
			key, body := unique("rkill"), order(unique("cust"), "tok_visa", 1)

			type result struct {
				r   response
				err error
			}
			done := make(chan result, 1)
			go func() {
				r, err := post(context.Background(), p.url+"/orders", key, body)
				done <- result{r, err}
			}()
			p.waitInFlight(t, "orders", 1, 10*time.Second) // claimed, at orderapp
			rs.Kill()
			if tc.backInTime {
				rs.Restart()
			}
			res := <-done
			if res.err != nil || res.r.status != http.StatusCreated {
				t.Fatalf("the in-flight order: %v %v, want 201 (the client gets its response)", res.r, res.err)
			}
			if !tc.backInTime {
				rs.Restart()
			}
			within(t, 10*time.Second, "/readyz 200 after the restart", p.ready)
			seen, last := answers(t, p, key, body, 10*time.Second)
			if !tc.wantLast(last) {
				t.Errorf("retries answered %v, want %s last", seen, tc.want)
			}
			if last.status == http.StatusCreated && last.replayed() && !sameResponse(res.r, last) {
				t.Errorf("replay %q differs from the response %q", last.body, res.r.body)
			}
			charges := oa.charges(t)
			if charges != tc.wantCharges {
				t.Errorf("orderapp charges = %v, want %v", charges, tc.wantCharges)
			}
			observed(t, "client got %v in %v; retries answered %v; charges %v", res.r.status, res.r.took.Round(time.Millisecond), seen, charges)
		})
	}
}
