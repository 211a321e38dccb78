package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestClientGoneMidRequest is matrix row 8: the client hangs up while
// orderapp works on its claimed order. The call upstream is detached from
// the client, so it completes once and is recorded; the client's retry
// replays it.
func TestClientGoneMidRequest(t *testing.T) {
	t.Parallel()
	oa := startOrderapp(t, "-latency", "1s")
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(redistest.Shared(t).Addr())})
	key, body := unique("gone"), order(unique("cust"), "tok_visa", 1)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := post(ctx, p.url+"/orders", key, body)
		errc <- err
	}()
	p.waitInFlight(t, "orders", 1, 10*time.Second)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client that hung up: %v, want its own cancellation", err)
	}
	p.waitInFlight(t, "orders", 0, 10*time.Second) // the upstream call ended
	seen, r := answers(t, p, key, body, 10*time.Second)
	if r.status != http.StatusCreated || !r.replayed() {
		t.Errorf("retries after the client hung up: %v, want the recorded 201 replayed", seen)
	}
	again := postOrder(t, p, key, body)
	if !sameResponse(r, again) {
		t.Errorf("two replays differ: %q, %q", r.body, again.body)
	}
	// The replay is the order orderapp really placed.
	placed, err := client.Get(oa.url + r.header.Get("Location"))
	if err == nil {
		placed.Body.Close()
	}
	if err != nil || placed.StatusCode != http.StatusOK {
		t.Errorf("GET %s at orderapp: %v %v, want 200: the replay names the placed order", r.header.Get("Location"), placed, err)
	}
	charges := oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	o := p.outcomes(t, "orders")
	observed(t, "client hung up with the order at orderapp: retries answered %v; charges %v; outcomes %v", seen, charges, o)
}

// TestClientGoneMidBody: the client hangs up while sending its body, before
// anything could be claimed. Nothing runs and nothing is recorded; the
// whole request then runs once.
func TestClientGoneMidBody(t *testing.T) {
	t.Parallel()
	oa := startOrderapp(t)
	rs := redistest.Shared(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr())})
	customer := unique("cust")
	key, body := unique("gonebody"), order(customer, "tok_visa", 1)

	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		key, len(body), body[:len(body)/2])
	c.Close()
	// The proxy reads what there was, and refuses the rest unread.
	within(t, 10*time.Second, "the cut request counted invalid_body", func() bool { return p.outcomes(t, "orders")["invalid_body"] == 1 })
	if rec := record(t, rs.Client(t), newKeyer(t).orderKey(t, customer, key)); rec["s"] == stateInProgress || rec["s"] == stateCompleted || rec["s"] == stateFailed {
		t.Errorf("record after a cut body: %v, want none", rec)
	}
	r := postOrder(t, p, key, body)
	if r.status != http.StatusCreated || r.replayed() {
		t.Errorf("the whole request after the cut one: %v, want 201 executed", r)
	}
	charges := oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	observed(t, "client hung up mid-body: no record; the whole request then %v; charges %v; outcomes %v", r, charges, p.outcomes(t, "orders"))
}
