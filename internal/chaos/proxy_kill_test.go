package chaos

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// signalOnce is a filter that closes ch on the first chunk in dir and
// answers d for it; later chunks pass.
func signalOnce(dir faultproxy.Direction, d faultproxy.Decision) (faultproxy.Filter, <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return func(c faultproxy.Chunk) faultproxy.Decision {
		if c.Dir != dir {
			return faultproxy.Decision{}
		}
		first := false
		once.Do(func() { first = true; close(ch) })
		if first {
			return d
		}
		return faultproxy.Decision{}
	}, ch
}

// waitSignal waits, bounded, for ch.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: not within 20s", what)
	}
}

// TestProxyKilled is matrix row 7: replica A is killed (SIGKILL) at each
// step of a request — after its claim (the request not yet at orderapp),
// while orderapp works on it, and after orderapp answered but before the
// finish reached Redis. Retries on replica B get 409 in progress (with
// Retry-After ≤ 1s) until A's lease ends, then the on_abandoned policy:
// reject → 409 abandoned; retry → B runs it. The key is never stuck past
// the lease, and only "retry" after a completed upstream call — the
// documented risk of that policy — charges twice.
func TestProxyKilled(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	for _, tc := range []struct {
		name        string
		step        string // claimed, upstream, finish
		onAbandoned string
		full        bool // make chaos only
		wantCharges float64
	}{
		{"after the claim, reject", "claimed", "reject", true, 0},
		{"after the claim, retry", "claimed", "retry", true, 1},
		{"while the upstream runs, reject", "upstream", "reject", true, 0},
		{"while the upstream runs, retry", "upstream", "retry", true, 1},
		{"before the finish, reject", "finish", "reject", false, 1},
		{"before the finish, retry", "finish", "retry", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.full {
				onlyFull(t)
			}
			rs := redistest.Shared(t)
			var oaArgs []string
			if tc.step == "upstream" {
				oaArgs = []string{"-latency", "2s"}
			}
			oa := startOrderapp(t, oaArgs...)
			upFault, redisFault := startFault(t, oa.url), startFault(t, rs.Addr())
			cfg := proxyConfig{Lease: lease, OnAbandoned: tc.onAbandoned}
			a, b := cfg, cfg
			a.Upstream, a.Redis = "http://"+upFault.Addr(), redisURL(redisFault.Addr())
			b.Upstream, b.Redis = oa.url, redisURL(rs.Addr())
			pa, pb := startProxy(t, a), startProxy(t, b)

			var reached <-chan struct{}
			switch tc.step {
			case "claimed": // the request is held on its way to orderapp
				var f faultproxy.Filter
				f, reached = signalOnce(faultproxy.ToTarget, faultproxy.Decision{Verdict: faultproxy.Hold})
				upFault.SetFilter(f)
			case "upstream": // orderapp has the request and works on it
				var f faultproxy.Filter
				f, reached = signalOnce(faultproxy.ToTarget, faultproxy.Decision{})
				upFault.SetFilter(f)
			case "finish": // orderapp answered; the finish never reaches Redis
				h := newHoldCalls(luaScript(t, "finish"))
				redisFault.SetFilter(h.filter)
				reached = h.held
			}
			key, body := unique("kill"), order(unique("cust"), "tok_visa", 1)
			go func() { _, _ = post(context.Background(), pa.url+"/orders", key, body) }()
			waitSignal(t, reached, "replica A reached the step")
			pa.kill9()
			killed := time.Now()

			var seen []string
			var last response
			inProgressAfter := time.Duration(0)
			within(t, lease+5*time.Second, "a retry that is not 409 in progress", func() bool {
				last = postOrder(t, pb, key, body)
				if len(seen) == 0 || seen[len(seen)-1] != last.String() {
					seen = append(seen, last.String())
				}
				if last.problem == problemInProgress {
					inProgressAfter = time.Since(killed)
					if ra, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || ra < 0 || ra > 1 {
						t.Errorf("409 in progress with Retry-After %q, want 0-1", last.header.Get("Retry-After"))
					}
				}
				return last.problem != problemInProgress
			})
			settled := time.Since(killed)
			if seen[0] != "409 in-progress" {
				t.Errorf("first retry after the kill: %s, want 409 in-progress (the lease is %v)", seen[0], lease)
			}
			if inProgressAfter > lease+time.Second {
				t.Errorf("409 in progress %v after the kill, with a %v lease: the key stayed stuck", inProgressAfter, lease)
			}
			switch tc.onAbandoned {
			case "reject":
				if last.problem != problemAbandoned {
					t.Errorf("after the lease: %v, want 409 %s", last, problemAbandoned)
				}
				if r := postOrder(t, pb, key, body); r.problem != problemAbandoned {
					t.Errorf("a later retry: %v, want 409 abandoned again", r)
				}
			case "retry":
				if last.status != http.StatusCreated || last.replayed() {
					t.Errorf("after the lease: %v, want 201 (B took over)", last)
				}
				if r := postOrder(t, pb, key, body); !r.replayed() || !sameResponse(last, r) {
					t.Errorf("a later retry: %v, want B's response replayed", r)
				}
			}
			charges := oa.charges(t)
			if charges != tc.wantCharges {
				t.Errorf("orderapp charges = %v, want %v", charges, tc.wantCharges)
			}
			observed(t, "A killed %s (lease %v, on_abandoned %s): retries on B answered %v, settled %v after the kill; charges %v",
				tc.step, lease, tc.onAbandoned, seen, settled.Round(10*time.Millisecond), charges)
		})
	}
}
