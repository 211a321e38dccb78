//go:build chaos

package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestLeaseOutlivedByALiveOwner: orderapp takes three times the lease. The
// owner's heartbeat renews the lease, so duplicates on another replica get
// 409 in progress the whole time — never abandoned, never taken over, even
// with on_abandoned: retry — and then the replay.
func TestLeaseOutlivedByALiveOwner(t *testing.T) {
	t.Parallel()
	oa := startOrderapp(t, "-latency", "3s")
	cfg := proxyConfig{Upstream: oa.url, Redis: redisURL(redistest.Shared(t).Addr()), Lease: time.Second, OnAbandoned: "retry"}
	a, b := startProxy(t, cfg), startProxy(t, cfg)
	key, body := unique("longrun"), order(unique("cust"), "tok_visa", 1)

	done := make(chan response, 1)
	errs := make(chan error, 1)
	go func() {
		r, err := post(context.Background(), a.url+"/orders", key, body)
		if err != nil {
			errs <- err
			return
		}
		done <- r
	}()
	a.waitInFlight(t, "orders", 1, 10*time.Second)
	duplicates := map[string]int{}
	var first response
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for first.status == 0 {
		select {
		case first = <-done:
		case err := <-errs:
			t.Fatalf("the first request: %v", err)
		case <-tick.C:
			r := postOrder(t, b, key, body)
			duplicates[r.String()]++
			if r.problem != problemInProgress && !r.replayed() {
				t.Fatalf("duplicate while the owner works past its lease: %v, want 409 in progress", r)
			}
		}
	}
	replay := postOrder(t, b, key, body)
	if first.status != http.StatusCreated || !replay.replayed() || !sameResponse(first, replay) {
		t.Errorf("first %v, then %v; want 201 and its replay", first, replay)
	}
	charges := oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	observed(t, "upstream 3s, lease 1s, on_abandoned retry: duplicates on B during the call %v; then %v; charges %v", duplicates, replay, charges)
}
