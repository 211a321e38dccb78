package chaos

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// check503 checks a fail-closed refusal: 503 store-unavailable with a
// Retry-After of at most a few seconds.
func check503(t *testing.T, r response) {
	t.Helper()
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusServiceUnavailable || r.problem != problemStoreUnavailable || err != nil || ra < 1 || ra > 5 {
		t.Errorf("with the store unreachable: %v, Retry-After %q; want 503 %s with Retry-After 1-5",
			r, r.header.Get("Retry-After"), problemStoreUnavailable)
	}
}

// retryUntilDone retries (key, body) on p while the answer is 409 in
// progress or 503 — what a client told "retry" does — and returns the
// first other answer, failing the test past timeout.
func retryUntilDone(t *testing.T, p *idemproxy, key, body string, timeout time.Duration) (last response, tries int) {
	t.Helper()
	within(t, timeout, "a retry that is neither 409 in progress nor 503", func() bool {
		tries++
		last = postOrder(t, p, key, body)
		return last.problem != problemInProgress && last.status != http.StatusServiceUnavailable
	})
	return last, tries
}

// TestRedisDownBeforeClaim is matrix row 2a: Redis is killed before the
// request comes. The proxy refuses (503 + Retry-After) without calling the
// upstream; once Redis is back the same key runs once.
func TestRedisDownBeforeClaim(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr()), Lease: time.Second})
	key, body := unique("down"), order(unique("cust"), "tok_visa", 1)

	rs.Kill()
	const n = 5
	var refused response
	for range n {
		refused = postOrder(t, p, key, body)
		check503(t, refused)
	}
	if p.ready() {
		t.Errorf("/readyz = 200 with Redis down, want 503")
	}
	if c := oa.charges(t); c != 0 {
		t.Fatalf("orderapp charges with Redis down = %v, want 0 (fail closed: the upstream is not called)", c)
	}
	rs.Restart()
	within(t, 10*time.Second, "/readyz 200 after Redis restarted", p.ready)
	first, tries := retryUntilDone(t, p, key, body, 5*time.Second)
	replay := postOrder(t, p, key, body)
	if first.status != http.StatusCreated || first.replayed() || !replay.replayed() || !sameResponse(first, replay) {
		t.Errorf("after Redis came back: %v then %v (replayed %v); want 201 then its replay", first, replay, replay.replayed())
	}
	charges := oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	observed(t, "%d requests with Redis killed: all 503 store-unavailable, Retry-After %s, charges 0; after restart: %d tries to 201, replay identical, charges %v",
		n, refused.header.Get("Retry-After"), tries, charges)
}

// TestClaimReplyLost is matrix row 4: the connection to Redis is reset
// right after each claim reached it, so its reply is lost and go-redis sends
// the claim again. The retry must find its own claim and go on — never
// answer the request 409 about itself, never run it twice.
func TestClaimReplyLost(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	fp := startFault(t, rs.Addr())
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(fp.Addr())})
	lose := newLoseReplies(luaScript(t, "claim"), 1)
	fp.SetFilter(lose.filter)

	const n = 20
	firsts := make([]response, n)
	keys, bodies := make([]string, n), make([]string, n)
	for i := range n {
		keys[i], bodies[i] = unique("lost"), order(unique("cust"), "tok_visa", 1)
		firsts[i] = postOrder(t, p, keys[i], bodies[i])
		if firsts[i].status != http.StatusCreated || firsts[i].replayed() {
			t.Errorf("request %d, its claim's reply lost once: %v, want 201 executed", i, firsts[i])
		}
	}
	calls, lost, owners := lose.counts()
	fp.Heal()
	for i := range n {
		if r := postOrder(t, p, keys[i], bodies[i]); !r.replayed() || !sameResponse(firsts[i], r) {
			t.Errorf("retry %d: %v, want the first response replayed", i, r)
		}
	}
	charges := oa.charges(t)
	if charges != n {
		t.Errorf("orderapp charges = %v, want %d", charges, n)
	}
	// Each claim is sent at least twice (the first once more: EVALSHA,
	// then EVAL after NOSCRIPT; more on a machine slow enough for a read
	// timeout).
	if lost != n || owners != n || calls < 2*n {
		t.Errorf("claim calls, replies lost, owners = %d, %d, %d; want at least %d, %d, %d (each claim sent twice, once lost)", calls, lost, owners, 2*n, n, n)
	}
	o := p.outcomes(t, "orders")
	if o["conflict"] != 0 || o["executed"] != n {
		t.Errorf("outcomes = %v, want executed %d and no conflict", o, n)
	}
	observed(t, "%d requests, %d claim replies lost (%d claim calls): responses 201 %d, 409 %v; replays identical %d; charges %v",
		n, lost, calls, n, o["conflict"], n, charges)
}

// TestEveryClaimReplyLost: every attempt's reply is lost, so the claim fails
// (503) although it was applied. The proxy releases its own claim in the
// background, fenced by its owner token, so the key is free again at once:
// the retry runs once, never 409 "abandoned" for a request that never ran.
func TestEveryClaimReplyLost(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	fp := startFault(t, rs.Addr())
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(fp.Addr()), Lease: time.Second})
	lose := newLoseReplies(luaScript(t, "claim"), 100)
	fp.SetFilter(lose.filter)

	key, body := unique("alllost"), order(unique("cust"), "tok_visa", 1)
	check503(t, postOrder(t, p, key, body))
	calls, lost, _ := lose.counts()
	fp.Heal()
	r, tries := retryUntilDone(t, p, key, body, 5*time.Second)
	if r.status != http.StatusCreated || r.replayed() {
		t.Errorf("retry after every claim reply was lost: %v, want 201 executed", r)
	}
	charges := oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	observed(t, "claim sent %d times, every reply lost (%d): 503; retry after %d tries: %v; charges %v", calls, lost, tries, r, charges)
}

// TestFinishReplyLost: the finish reached Redis and its reply was lost;
// go-redis sends it again with the same nonce, which must succeed rather
// than leave the key to be abandoned. Every retry replays.
func TestFinishReplyLost(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	fp := startFault(t, rs.Addr())
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(fp.Addr()), Lease: time.Second})
	for _, lose := range []int{1, 100} { // once, and every attempt
		l := newLoseReplies(luaScript(t, "finish"), lose)
		fp.SetFilter(l.filter)
		key, body := unique("finlost"), order(unique("cust"), "tok_visa", 1)
		first := postOrder(t, p, key, body)
		calls, lost, _ := l.counts()
		fp.Heal()
		replay := postOrder(t, p, key, body)
		if first.status != http.StatusCreated || !replay.replayed() || !sameResponse(first, replay) {
			t.Errorf("finish replies lost %d of %d: %v then %v, want 201 then its replay", lost, calls, first, replay)
		}
		observed(t, "finish sent %d times, %d replies lost: client %v, retry %v", calls, lost, first, replay)
	}
	if c := oa.charges(t); c != 2 {
		t.Errorf("orderapp charges = %v, want 2", c)
	}
}
