package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDuringARequestStillRecordsIt sends SIGTERM while an order is at
// orderapp: the proxy stops accepting, lets the order finish, records it,
// and exits 0. A new proxy on the same Redis then replays the receipt
// instead of charging again.
func TestSIGTERMDuringARequestStillRecordsIt(t *testing.T) {
	t.Parallel()
	upstream := startOrderapp(t, "-latency", "1500ms")
	p := startProxy(t, nil, "-upstream", upstream, "-redis", redisURL(t))
	key, body := unique("sigterm"), order(unique("cust"), "tok_visa", 1)

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
	waitInFlight(t, p, 1)

	if code := p.signal(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	var got response
	select {
	case got = <-first:
	case err := <-errs:
		t.Fatalf("the in-flight POST failed: %v", err)
	}
	if got.status != http.StatusCreated {
		t.Fatalf("in-flight POST = %d %s, want 201", got.status, got.body)
	}
	if !strings.Contains(p.output(), "shut down cleanly") {
		t.Errorf("no clean-shutdown log line")
	}

	again := startProxy(t, nil, "-upstream", upstream, "-redis", redisURL(t))
	r := postOrder(t, again.url, key, body)
	if r.status != http.StatusCreated || r.body != got.body || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry on a new proxy = %d %s (replayed %q), want the recorded 201 %s replayed",
			r.status, r.body, r.header.Get("Idempotent-Replayed"), got.body)
	}
	if got := charges(t, upstream); got != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", got)
	}
}
