package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// Problem types, as the README documents them.
const (
	problemBase       = "https://github.com/idemproxy/idemproxy#problem-"
	problemKeyReused  = problemBase + "key-reused"
	problemInProgress = problemBase + "in-progress"
	problemFailed     = problemBase + "previously-failed"
	problemMissingKey = problemBase + "missing-key"
)

// unique returns a name no other test (or earlier run on a shared Redis)
// uses, for keys and customers.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%016x", prefix, rand.Uint64())
}

// redisURL is the shared test Redis, as -redis takes it.
func redisURL(t *testing.T) string {
	return "redis://" + redistest.Shared(t).Addr()
}

// stack starts orderapp (with args) and an idemproxy on Redis in front of it.
func stack(t *testing.T, orderappArgs ...string) (*proxy, string) {
	t.Helper()
	upstream := startOrderapp(t, orderappArgs...)
	return startProxy(t, nil, "-upstream", upstream, "-redis", redisURL(t)), upstream
}

func TestReplayReturnsTheSameReceiptAndChargesOnce(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	key, body := unique("replay"), order(unique("cust"), "tok_visa", 2)

	first := postOrder(t, p.url, key, body)
	if first.status != http.StatusCreated {
		t.Fatalf("first POST = %d %s, want 201", first.status, first.body)
	}
	second := postOrder(t, p.url, key, body)
	if second.status != http.StatusCreated || second.body != first.body {
		t.Errorf("replay = %d %s, want 201 %s", second.status, second.body, first.body)
	}
	if second.header.Get("Location") != first.header.Get("Location") || second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay headers = Location %q, Idempotent-Replayed %q; want %q, true",
			second.header.Get("Location"), second.header.Get("Idempotent-Replayed"), first.header.Get("Location"))
	}
	if got := charges(t, upstream); got != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", got)
	}
	if got := outcomes(t, p); got["executed"] != 1 || got["replayed"] != 1 {
		t.Errorf("idemproxy_requests_total = %v, want executed 1, replayed 1", got)
	}
	// The one order's OrderPlaced left through orderapp's outbox exactly
	// once: nothing is pending, so nothing more will be delivered.
	m := waitOutboxDrained(t, upstream)
	placed, delivered, published := m["orderapp_orders_placed_total"], m["orderapp_outbox_delivered_total"], m["orderapp_events_published_total"]
	if placed != 1 || delivered != 1 || published != 1 {
		t.Errorf("orderapp orders placed %v, events delivered %v, published %v; want 1 each", placed, delivered, published)
	}
}

func TestChangedBodyWithTheSameKeyIs422(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	key, customer := unique("changed"), unique("cust")

	if r := postOrder(t, p.url, key, order(customer, "tok_visa", 1)); r.status != http.StatusCreated {
		t.Fatalf("first POST = %d %s, want 201", r.status, r.body)
	}
	r := postOrder(t, p.url, key, order(customer, "tok_visa", 3))
	if r.status != http.StatusUnprocessableEntity || r.problem != problemKeyReused {
		t.Errorf("changed body = %d %s, want 422 %s", r.status, r.problem, problemKeyReused)
	}
	if got := charges(t, upstream); got != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", got)
	}
	if got := outcomes(t, p)["mismatch"]; got != 1 {
		t.Errorf(`idemproxy_requests_total{outcome="mismatch"} = %v, want 1`, got)
	}
}

func TestMissingKeyIs400(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	r := postOrder(t, p.url, "", order(unique("cust"), "tok_visa", 1))
	if r.status != http.StatusBadRequest || r.problem != problemMissingKey {
		t.Errorf("POST without a key = %d %s, want 400 %s", r.status, r.problem, problemMissingKey)
	}
	if got := charges(t, upstream); got != 0 {
		t.Errorf("orderapp_payment_charges_total = %v, want 0", got)
	}
	if got := outcomes(t, p)["missing_key"]; got != 1 {
		t.Errorf(`idemproxy_requests_total{outcome="missing_key"} = %v, want 1`, got)
	}
}

func TestDeclinedPaymentRetryIs409(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	key, body := unique("decline"), order(unique("cust"), "tok_decline", 1)

	if r := postOrder(t, p.url, key, body); r.status != http.StatusPaymentRequired {
		t.Fatalf("declined POST = %d %s, want 402", r.status, r.body)
	}
	r := postOrder(t, p.url, key, body)
	if r.status != http.StatusConflict || r.problem != problemFailed || !strings.Contains(r.body, "402") {
		t.Errorf("retry = %d %s, want 409 %s naming 402", r.status, r.body, problemFailed)
	}
	if got := outcomes(t, p); got["executed"] != 1 || got["failed_rejected"] != 1 {
		t.Errorf("idemproxy_requests_total = %v, want executed 1, failed_rejected 1", got)
	}
	if got := charges(t, upstream); got != 0 {
		t.Errorf("orderapp_payment_charges_total = %v, want 0 (declined)", got)
	}
}

func TestDuplicateWhileInProgressIs409(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t, "-latency", "2s")
	key, body := unique("busy"), order(unique("cust"), "tok_visa", 1)

	first := make(chan response, 1)
	errs := make(chan error, 1)
	go func() {
		r, err := post(p.url, key, body)
		if err != nil {
			errs <- err
			return
		}
		first <- r
	}()
	waitInFlight(t, p, 1) // the first request is at orderapp now

	r := postOrder(t, p.url, key, body)
	if r.status != http.StatusConflict || r.problem != problemInProgress || r.header.Get("Retry-After") == "" {
		t.Errorf("duplicate in flight = %d %s (Retry-After %q), want 409 %s with Retry-After", r.status, r.problem, r.header.Get("Retry-After"), problemInProgress)
	}
	select {
	case f := <-first:
		if f.status != http.StatusCreated {
			t.Errorf("first POST = %d %s, want 201", f.status, f.body)
		}
	case err := <-errs:
		t.Fatalf("first POST: %v", err)
	}
	if got := charges(t, upstream); got != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", got)
	}
	if got := outcomes(t, p); got["conflict"] != 1 || got["executed"] != 1 {
		t.Errorf("idemproxy_requests_total = %v, want conflict 1, executed 1", got)
	}
}
