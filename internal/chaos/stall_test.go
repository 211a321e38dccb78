package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestStalledRedisLeavesNoKeyClaimed: Redis stops answering (SIGSTOP)
// while 20 requests arrive, for longer than their claims and releases
// wait. Each gets 503 "not run, retry with the same
// key" once store_timeout passes, but its claim sits in Redis's sockets
// and runs when Redis wakes. A claim the proxy gave up on must not hold its
// key: the claim carries its deadline (past it the script takes nothing),
// and the proxy keeps releasing it until Redis answers. So every key runs,
// on the client's first retry, exactly once; none answers in-progress or
// abandoned.
func TestStalledRedisLeavesNoKeyClaimed(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	up := startCountingUpstream(t, nil)
	p := startProxy(t, proxyConfig{Upstream: up.url, Redis: redisURL(rs.Addr()), Routes: anyRoute, Lease: 2 * time.Second, StoreTimeout: time.Second})
	// One request first, so the store has seen Redis's clock.
	if r := send(t, http.MethodPost, p.url+"/orders", unique("warm"), "order"); r.status != http.StatusCreated {
		t.Fatalf("warm-up: %v", r)
	}

	const n = 20
	keys := make([]string, n)
	for i := range keys {
		keys[i] = unique("stall")
	}
	rs.Pause()
	type answer struct {
		i   int
		r   response
		err error
	}
	answers := make(chan answer, n)
	for i, key := range keys {
		go func() {
			r, err := post(context.Background(), p.url+"/orders", key, "order")
			answers <- answer{i, r, err}
		}()
	}
	during := map[string]int{}
	for range n {
		a := <-answers
		if a.err != nil {
			rs.Resume()
			t.Fatalf("request %d: %v", a.i, a.err)
		}
		during[a.r.String()]++
	}
	// Redis stays stalled until the proxy's first release of every claim
	// has timed out too: a release sent once and forgotten then leaves the
	// key to an owner that is gone. The releases went out before their
	// 503s; two more requests, one after the other, each answered 503 only
	// after its own store_timeout, outlast them.
	for range 2 {
		key := unique("stall-probe")
		keys = append(keys, key)
		if r := send(t, http.MethodPost, p.url+"/orders", key, "order"); r.problem != problemStoreUnavailable {
			rs.Resume()
			t.Fatalf("a request during the stall: %v, want 503 store-unavailable", r)
		}
	}
	rs.Resume()
	if during["503 store-unavailable"] != n {
		t.Errorf("during the stall: %v, want %d × 503 store-unavailable", during, n)
	}
	if got := up.total() - 1; got != 0 {
		t.Errorf("the upstream ran %d requests during the stall, want 0", got)
	}

	// Every key is free at once: the client's first retry runs it.
	after := map[string]int{}
	for _, key := range keys {
		r := send(t, http.MethodPost, p.url+"/orders", key, "order")
		after[r.String()]++
		if r.status != http.StatusCreated || r.replayed() {
			t.Errorf("retry of %s after the stall: %v, want 201 executed", key, r)
		}
	}
	for _, key := range keys {
		if got := up.ran(key); got != 1 {
			t.Errorf("%s ran %d times, want 1", key, got)
		}
	}
	observed(t, "Redis SIGSTOPped while %d requests arrived, and kept stopped past their releases' timeout (store_timeout 1s, lease 2s): %v, upstream runs 0; after SIGCONT the first retry of each of the %d keys: %v; runs %d",
		n, during, len(keys), after, up.total()-1)
}
