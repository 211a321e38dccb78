//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/redis/go-redis/v9"
)

// TestRedisSlowPastItsTimeout is matrix row 2b: Redis answers, but slower
// than the client's 1s read timeout. The proxy refuses within its store
// timeout (503 + Retry-After), the upstream is not called, and the claim
// that did reach Redis is released, so the same key runs once when Redis is
// fast again.
func TestRedisSlowPastItsTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		toRedis, toProxy time.Duration
	}{
		{"replies slow", 0, 1500 * time.Millisecond},
		{"both ways slow", 800 * time.Millisecond, 800 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := ownRedis(t)
			fp := startFault(t, rs.Addr())
			oa := startOrderapp(t)
			p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(fp.Addr()), Lease: time.Second})
			key, body := unique("slow"), order(unique("cust"), "tok_visa", 1)

			fp.SetLatency(faultproxy.ToTarget, tc.toRedis)
			fp.SetLatency(faultproxy.ToClient, tc.toProxy)
			r := postOrder(t, p, key, body)
			check503(t, r)
			// The store timeout (2s by default) bounds the refusal.
			if r.took > 3500*time.Millisecond {
				t.Errorf("503 took %v, want it within the 2s store timeout (+ slack)", r.took)
			}
			if c := oa.charges(t); c != 0 {
				t.Errorf("orderapp charges with Redis slow = %v, want 0", c)
			}
			fp.Heal()
			again, tries := retryUntilDone(t, p, key, body, 10*time.Second)
			if again.status != http.StatusCreated || again.replayed() {
				t.Errorf("retry once Redis is fast: %v, want 201 executed", again)
			}
			charges := oa.charges(t)
			if charges != 1 {
				t.Errorf("orderapp charges = %v, want 1", charges)
			}
			observed(t, "Redis RTT %v: %v after %v; after healing, %d tries to %v; charges %v",
				tc.toRedis+tc.toProxy, r, r.took.Round(time.Millisecond), tries, again, charges)
		})
	}
}

// evalCalls counts the script calls Redis has run (EVALSHA and EVAL,
// errors included), from INFO commandstats.
func evalCalls(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for line := range strings.SplitSeq(info, "\n") {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), cmd); ok {
				n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
				total += n
			}
		}
	}
	return total
}

// delayClaims delays every claim of the first owner it sees by d, and lets
// everything else through at once, so that the owner's background release
// overtakes its claims: packets of one TCP connection retransmitted late
// while another connection's go through.
type delayClaims struct {
	claim script
	d     time.Duration

	mu        sync.Mutex
	owner     []byte
	delayed   int
	pending   int // delayed, not yet delivered or dropped
	delivered int
}

// settled returns how many claims were delayed and delivered, and whether
// none is pending.
func (dc *delayClaims) settled() (delayed, delivered int, done bool) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.delayed, dc.delivered, dc.delayed > 0 && dc.pending == 0
}

func (dc *delayClaims) filter(c faultproxy.Chunk) faultproxy.Decision {
	if c.Dir != faultproxy.ToTarget || !dc.claim.in(c.Data) {
		return faultproxy.Decision{}
	}
	dc.mu.Lock()
	defer dc.mu.Unlock()
	owner := ownerToken.Find(c.Data)
	if dc.owner == nil {
		dc.owner = owner
	}
	if !bytes.Equal(owner, dc.owner) {
		return faultproxy.Decision{}
	}
	dc.delayed++
	dc.pending++
	return faultproxy.Decision{Delay: dc.d, Done: func(delivered bool) {
		dc.mu.Lock()
		defer dc.mu.Unlock()
		dc.pending--
		if delivered {
			dc.delivered++
		}
	}}
}

// TestClaimDelayedPastItsRelease: the claim is slow to reach Redis (it
// times out: 503, "retry with the same key"), and the proxy's background
// release of that failed claim reaches Redis before the claim does; in the
// second case another request also claims and releases the key meanwhile,
// so the tombstone the late claim meets is not its owner's. Either way the
// late claim must not hold the key for an owner that is gone: the upstream
// never ran, so the client's retry with the same key must run it (once).
func TestClaimDelayedPastItsRelease(t *testing.T) {
	t.Parallel()
	for _, between := range []bool{false, true} {
		name := "release first"
		if between {
			name = "another owner claims and releases in between"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			claimDelayedPastItsRelease(t, between)
		})
	}
}

func claimDelayedPastItsRelease(t *testing.T, between bool) {
	rs := ownRedis(t)
	rc := rs.Client(t)
	fp := startFault(t, rs.Addr())
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(fp.Addr()), Lease: time.Second})
	customer := unique("cust")
	key, body := unique("late"), order(customer, "tok_visa", 1)

	// A first order loads the scripts, so the late EVALSHA runs rather
	// than answering NOSCRIPT.
	if r := postOrder(t, p, unique("warm"), order(unique("cust"), "tok_visa", 1)); r.status != http.StatusCreated {
		t.Fatalf("warm-up order: %v", r)
	}
	dc := &delayClaims{claim: luaScript(t, "claim"), d: 3 * time.Second}
	fp.SetFilter(dc.filter)
	r := postOrder(t, p, key, body)
	check503(t, r)
	var other response
	if between {
		// An invalid order (quantity 0): orderapp answers 400, which
		// releases the key, leaving this owner's tombstone in place.
		other = postOrder(t, p, key, order(customer, "tok_visa", 0))
		if other.status != http.StatusBadRequest {
			t.Fatalf("the request in between: %v, want orderapp's 400 (released)", other)
		}
	}
	// The delayed claims reach Redis (after the release did), and Redis
	// has run them.
	within(t, 10*time.Second, "the delayed claims delivered", func() bool { _, _, done := dc.settled(); return done })
	delayed, delivered, _ := dc.settled()
	if delivered == 0 {
		t.Fatalf("none of the %d delayed claims reached Redis: the fault did not happen", delayed)
	}
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err) // one round trip: Redis has run what reached it before
	}
	fp.Heal()

	var answers []string
	var last response
	within(t, 10*time.Second, "a retry that is neither 409 in progress nor 503", func() bool {
		last = postOrder(t, p, key, body)
		if len(answers) == 0 || answers[len(answers)-1] != last.String() {
			answers = append(answers, last.String())
		}
		return last.problem != problemInProgress && last.status != http.StatusServiceUnavailable
	})
	charges := oa.charges(t)
	if between {
		observed(t, "claim delayed 3s (%d sent, %d delivered late), another request claimed and released meanwhile (%v): 503, then retries answered %v; charges %v", delayed, delivered, other, answers, charges)
	} else {
		observed(t, "claim delayed 3s (%d sent, %d delivered late), release first: 503, then retries answered %v; charges %v", delayed, delivered, answers, charges)
	}
	if last.status != http.StatusCreated || len(answers) != 1 || charges != 2 {
		t.Errorf("retry with the same key after the 503: answers %v, charges %v; want 201 at once and 2 charges (the warm-up's and this one: the request never ran before)", answers, charges)
	}
}
