//go:build chaos

package chaos

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestSentinelFailover: the Redis master dies (SIGKILL) and Sentinel
// promotes its replica. While no master answers, requests are refused (503,
// upstream not called); after the failover a replicated record replays —
// never a second charge — and the refused key runs once.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: "redis+sentinel://" + strings.Join(s.SentinelAddrs(), ",") + "/" + redistest.MasterName})
	customer := unique("cust")
	key, body := unique("failover"), order(customer, "tok_visa", 1)
	first := postOrder(t, p, key, body)
	if first.status != http.StatusCreated {
		t.Fatalf("first order: %v", first)
	}
	// The record has reached the replica (asynchronous replication: until
	// it has, a failover may lose it — the README's documented window).
	rk := newKeyer(t).orderKey(t, customer, key)
	replica := s.Replica().Client(t)
	within(t, 10*time.Second, "the record replicated", func() bool { return record(t, replica, rk)["s"] == stateCompleted })

	s.Master().Kill()
	during := map[string]int{}
	newKey, newBody := unique("failover-new"), order(unique("cust"), "tok_visa", 1)
	began := time.Now()
	within(t, 60*time.Second, "the proxy ready again on the promoted master", func() bool {
		for _, k := range []struct{ key, body string }{{key, body}, {newKey, newBody}} {
			r := postOrder(t, p, k.key, k.body)
			if r.status == http.StatusServiceUnavailable {
				during[r.String()+" Retry-After "+r.header.Get("Retry-After")]++
				return false
			}
			if k.key == key && (!r.replayed() || !sameResponse(first, r)) {
				t.Fatalf("the replicated order after failover: %v, want its replay", r)
			}
		}
		return true
	})
	took := time.Since(began)
	if c := oa.charges(t); c != 2 {
		t.Errorf("orderapp charges = %v, want 2 (the first order, and the new key once)", c)
	}
	if again := postOrder(t, p, newKey, newBody); !again.replayed() {
		t.Errorf("the new key after failover, again: %v, want its replay", again)
	}
	observed(t, "master killed: %v while failing over (%s); after failover the replicated order replays, the refused key ran once; charges %v",
		during, strconv.FormatFloat(took.Seconds(), 'f', 1, 64)+"s", oa.charges(t))
}
