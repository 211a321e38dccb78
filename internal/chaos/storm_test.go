package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// stormResult is one request of a storm.
type stormResult struct {
	key int
	r   response
	err error
}

// storm sends requests requests over keys distinct keys (requests/keys
// each, in shuffled order, all released at once) to replicas idemproxy
// processes sharing redis, in front of one orderapp, and checks the
// promise: exactly one charge per key, and every response to a key either
// the first response byte for byte or 409 in progress (in reject mode).
func storm(t *testing.T, redis string, mode string, requests, keys, replicas int) {
	t.Helper()
	// Slow enough that a key's duplicates overlap its first request.
	oa := startOrderapp(t, "-latency", "250ms")
	proxies := make([]*idemproxy, replicas)
	for i := range proxies {
		proxies[i] = startProxy(t, proxyConfig{Upstream: oa.url, Redis: redis, InProgress: mode})
	}
	names, bodies := make([]string, keys), make([]string, keys)
	for k := range keys {
		names[k], bodies[k] = unique("storm"), order(unique("cust"), "tok_visa", 1+k%3)
	}
	order := make([]int, requests)
	for i := range order {
		order[i] = i % keys
	}
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := make(chan stormResult, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, k := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := post(ctx, proxies[i%replicas].url+"/orders", names[k], bodies[k])
			results <- stormResult{key: k, r: r, err: err}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	close(results)
	took := time.Since(began)

	// Waiters are woken by the first request's finish, not by their lease
	// (10s) running out: the storm takes about the upstream's latency.
	if mode == "wait" && took > 5*time.Second {
		t.Errorf("the storm in wait mode took %v: waiters were not woken by the finish", took)
	}
	byKey := make([][]response, keys)
	statuses := map[string]int{}
	for res := range results {
		if res.err != nil {
			t.Errorf("key %d: %v", res.key, res.err)
			continue
		}
		byKey[res.key] = append(byKey[res.key], res.r)
		label := fmt.Sprint(res.r.status)
		switch {
		case res.r.replayed():
			label += " replayed"
		case res.r.problem != "":
			label += " " + res.r.problem[len(problemBase):]
		}
		statuses[label]++
	}
	firsts := make([]response, keys)
	for k, rs := range byKey {
		var first *response
		for i := range rs {
			r := rs[i]
			switch {
			case r.status == http.StatusCreated && !r.replayed():
				if first != nil {
					t.Errorf("key %d: two executed responses:\n%s\n%s", k, first.body, r.body)
				}
				first = &rs[i]
			case r.status == http.StatusConflict && r.problem == problemInProgress && mode != "wait":
				if r.header.Get("Retry-After") == "" {
					t.Errorf("key %d: 409 in progress without Retry-After", k)
				}
			case r.status == http.StatusCreated && r.replayed():
			default:
				t.Errorf("key %d: response %v, want 201, its replay, or 409 in progress", k, r)
			}
		}
		if first == nil {
			t.Errorf("key %d: no executed 201 among %d responses", k, len(rs))
			continue
		}
		firsts[k] = *first
		for _, r := range rs {
			if r.status == http.StatusCreated && !sameResponse(*first, r) {
				t.Errorf("key %d: replay differs from the first response:\nfirst  %s %s\nreplay %s %s",
					k, first.header.Get("Location"), first.body, r.header.Get("Location"), r.body)
			}
		}
	}
	// Once the storm is over, every key replays its first response.
	for k := range keys {
		if firsts[k].status == 0 {
			continue
		}
		r := postOrder(t, proxies[k%replicas], names[k], bodies[k])
		if !r.replayed() || !sameResponse(firsts[k], r) {
			t.Errorf("key %d after the storm: %v (replayed %v), want the first response %v replayed", k, r, r.replayed(), firsts[k])
		}
	}
	charges, orders := oa.counts(t)
	if charges != float64(keys) || orders != float64(keys) {
		t.Errorf("orderapp charges, orders = %v, %v; want %d, %d (one per key)", charges, orders, keys, keys)
	}
	executed := 0.0
	for _, p := range proxies {
		executed += p.outcomes(t, "orders")["executed"]
	}
	if executed != float64(keys) {
		t.Errorf("idemproxy executed outcomes over %d replicas = %v, want %d", replicas, executed, keys)
	}
	observed(t, "%d requests, %d keys, %d replicas, in_progress=%s, %v: responses %v; charges %v, orders %v; every replay byte-identical",
		requests, keys, replicas, orDefault(mode, "reject"), took.Round(time.Millisecond), statuses, charges, orders)
}

// TestDuplicateStormOverThreeReplicas is matrix row 1 on one Redis: 500
// requests over 50 keys in make chaos, a third of it in make test (which
// runs -race binaries beside every other package's tests).
func TestDuplicateStormOverThreeReplicas(t *testing.T) {
	t.Parallel()
	requests, keys := 500, 50
	if !fullMatrix {
		requests, keys = 150, 15
	}
	storm(t, redisURL(redistest.Shared(t).Addr()), "", requests, keys, 3)
}

// TestSameKeyTwoCallers: two customers use the same key at the same time.
// Keys are scoped per caller, so each gets its own order and its own
// replay, never the other's response.
func TestSameKeyTwoCallers(t *testing.T) {
	t.Parallel()
	oa := startOrderapp(t, "-latency", "200ms")
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(redistest.Shared(t).Addr())})
	key := unique("shared-key")
	customers := []string{unique("alice"), unique("bob")}
	results := make(chan stormResult, 2*len(customers))
	for i, c := range customers {
		for range 2 {
			go func() {
				r, err := post(context.Background(), p.url+"/orders", key, order(c, "tok_visa", 1))
				results <- stormResult{key: i, r: r, err: err}
			}()
		}
	}
	mine := map[int][]response{}
	for range 2 * len(customers) {
		res := <-results
		if res.err != nil {
			t.Fatal(res.err)
		}
		mine[res.key] = append(mine[res.key], res.r)
	}
	for i, c := range customers {
		_, r := answers(t, p, key, order(c, "tok_visa", 1), 10*time.Second)
		if r.status != http.StatusCreated || !strings.Contains(r.body, c) {
			t.Errorf("%s's replay: %v %s, want 201 naming %s", c, r, r.body, c)
		}
		for _, m := range mine[i] {
			if m.status == http.StatusCreated && !sameResponse(r, m) {
				t.Errorf("%s got %s, then %s", c, m.body, r.body)
			}
		}
	}
	charges := oa.charges(t)
	if charges != 2 {
		t.Errorf("orderapp charges = %v, want 2 (one per caller)", charges)
	}
	observed(t, "one key, two callers, two requests each at once: each caller's 201 names its own customer; charges %v", charges)
}
