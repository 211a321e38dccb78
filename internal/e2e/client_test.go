package e2e

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	idemclient "github.com/idemproxy/idemproxy/client"
	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// clientPath is a TCP fault proxy between a client and an idemproxy, which
// also reads the idempotency key of every request that passes.
type clientPath struct {
	fp  *faultproxy.Proxy
	url string // the fault proxy's base URL: where the client sends

	mu   sync.Mutex
	keys []string // each request's key, in order
}

var keyLine = regexp.MustCompile(`(?im)^Idempotency-Key: *([^\r\n]*)\r$`)

// startClientPath puts a fault proxy in front of p. A filter set on the
// fault proxy later must call path.see itself.
func startClientPath(t *testing.T, p *proxy) *clientPath {
	t.Helper()
	fp, err := faultproxy.Start(strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fp.Close() })
	c := &clientPath{fp: fp, url: "http://" + fp.Addr()}
	fp.SetFilter(func(ch faultproxy.Chunk) faultproxy.Decision { c.see(ch); return faultproxy.Decision{} })
	return c
}

// see records the keys of the requests in a chunk (each request's head
// comes in one chunk: they are small).
func (c *clientPath) see(ch faultproxy.Chunk) {
	if ch.Dir != faultproxy.ToTarget {
		return
	}
	for _, m := range keyLine.FindAllSubmatch(ch.Data, -1) {
		c.mu.Lock()
		c.keys = append(c.keys, string(m[1]))
		c.mu.Unlock()
	}
}

func (c *clientPath) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.keys...)
}

// retries collects a transport's OnRetry calls, safely from its goroutine.
type retries struct {
	mu   sync.Mutex
	list []idemclient.Retry
	once sync.Once
	ch   chan struct{} // closed at the first retry
}

func newRetries() *retries { return &retries{ch: make(chan struct{})} }

func (r *retries) add(x idemclient.Retry) {
	r.mu.Lock()
	r.list = append(r.list, x)
	r.mu.Unlock()
	r.once.Do(func() { close(r.ch) })
}

func (r *retries) all() []idemclient.Retry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]idemclient.Retry(nil), r.list...)
}

// newClient is a client of its own (no connection shared with another
// test), logging retries into r.
func newClient(t *testing.T, r *retries, cfg idemclient.Config) *http.Client {
	t.Helper()
	cfg.Base = &http.Transport{}
	cfg.OnRetry = r.add
	c, err := idemclient.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// placeVia posts an order through c, bounded in time, and returns the
// response's body and what the transport learned.
func placeVia(ctx context.Context, c *http.Client, base, body string) (response, idemclient.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/orders", strings.NewReader(body))
	if err != nil {
		return response{}, idemclient.Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return response{}, idemclient.Result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}, idemclient.ResultOf(resp), err
}

// posted is what postAside's request came to.
type posted struct {
	response
	err error
}

// postAside sends post's request on another goroutine; the channel gets
// its outcome.
func postAside(base, key, body string) <-chan posted {
	out := make(chan posted, 1)
	go func() {
		r, err := post(base, key, body)
		out <- posted{r, err}
	}()
	return out
}

// TestClientRetriesAResetWithTheSameKeyAndGetsTheReplay resets the
// connection after the request was sent and before any of the response came
// back: the outcome is unknown to the client, which sends the request again
// with the same key and gets the first request's receipt; orderapp charged
// once.
func TestClientRetriesAResetWithTheSameKeyAndGetsTheReplay(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	path := startClientPath(t, p)
	var reset atomic.Bool
	path.fp.SetFilter(func(ch faultproxy.Chunk) faultproxy.Decision {
		path.see(ch)
		if ch.Dir == faultproxy.ToClient && reset.CompareAndSwap(false, true) {
			return faultproxy.Decision{Verdict: faultproxy.Reset} // the first response's first byte never arrives
		}
		return faultproxy.Decision{}
	})
	r := newRetries()
	c := newClient(t, r, idemclient.Config{})

	got, res, err := placeVia(t.Context(), c, path.url, order(unique("cust"), "tok_visa", 2))
	if err != nil {
		t.Fatalf("POST through a reset: %v", err)
	}
	if got.status != http.StatusCreated || !res.Replayed || res.Attempts < 2 {
		t.Errorf("POST = %d %s (%+v), want the replayed 201 after 2 or more attempts", got.status, got.body, res)
	}
	if rs := r.all(); len(rs) == 0 || rs[0].Reason != idemclient.ReasonTransportError {
		t.Errorf("retries %+v, want the first for a transport error", rs)
	}
	keys := path.seen()
	if len(keys) != res.Attempts || len(keys) < 2 || keys[0] != res.Key {
		t.Errorf("keys on the wire %q, want %d times the key %q", keys, res.Attempts, res.Key)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Errorf("keys on the wire %q, want the same key on every attempt", keys)
			break
		}
	}
	if n := charges(t, upstream); n != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", n)
	}
	if o := outcomes(t, p); o["executed"] != 1 {
		t.Errorf("idemproxy_requests_total = %v, want executed 1", o)
	}
}

// TestClientWaitsOutADuplicateInProgress sends a duplicate while the first
// request is at orderapp: it gets 409 in-progress with Retry-After, waits
// as told, and then gets the first request's receipt, replayed.
func TestClientWaitsOutADuplicateInProgress(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t, "-latency", "1s")
	path := startClientPath(t, p)
	key, body := unique("busy"), order(unique("cust"), "tok_visa", 1)

	first := postAside(p.url, key, body)
	waitInFlight(t, p, 1)

	r := newRetries()
	c := newClient(t, r, idemclient.Config{})
	got, res, err := placeVia(idemclient.WithKey(t.Context(), key), c, path.url, body)
	if err != nil {
		t.Fatalf("duplicate POST: %v", err)
	}
	f := <-first
	if f.err != nil {
		t.Fatalf("first POST: %v", f.err)
	}
	if f.status != http.StatusCreated || got.status != http.StatusCreated || got.body != f.body || !res.Replayed {
		t.Errorf("first = %d %s; duplicate = %d %s (%+v); want 201 and its replay", f.status, f.body, got.status, got.body, res)
	}
	rs := r.all()
	if len(rs) == 0 {
		t.Fatalf("no retry, want the duplicate's 409 in-progress retried")
	}
	for _, x := range rs {
		if x.Reason != idemclient.ReasonInProgress || x.Status != http.StatusConflict || x.Problem.Type != idemclient.ProblemInProgress || x.Wait != time.Second {
			t.Errorf("retry %+v, want 409 in-progress waited for its Retry-After, 1s", x)
		}
	}
	if n := charges(t, upstream); n != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", n)
	}
	if o := outcomes(t, p); o["executed"] != 1 || o["conflict"] != float64(len(rs)) {
		t.Errorf("idemproxy_requests_total = %v, want executed 1, conflict %d", o, len(rs))
	}
}

// TestClientRetries503sWhileRedisIsDown kills the proxy's Redis: the
// proxy fails closed (503 store-unavailable, Retry-After), the client waits
// and retries with the same key, Redis comes back, and the order is placed
// once.
func TestClientRetries503sWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	upstream := startOrderapp(t)
	p := startProxy(t, nil, "-upstream", upstream, "-redis", "redis://"+srv.Addr())
	path := startClientPath(t, p)
	srv.Kill()

	r := newRetries()
	c := newClient(t, r, idemclient.Config{MaxAttempts: 10})
	type result struct {
		got response
		res idemclient.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, res, err := placeVia(t.Context(), c, path.url, order(unique("cust"), "tok_visa", 1))
		done <- result{got, res, err}
	}()
	select {
	case <-r.ch: // the first 503 is in: bring Redis back
	case d := <-done:
		t.Fatalf("POST ended before any retry: %d %s, %v", d.got.status, d.got.body, d.err)
	}
	srv.Restart()
	d := <-done
	if d.err != nil {
		t.Fatalf("POST: %v", d.err)
	}
	if d.got.status != http.StatusCreated || d.res.Replayed || d.res.Attempts < 2 {
		t.Errorf("POST = %d %s (%+v), want a fresh 201 after 2 or more attempts", d.got.status, d.got.body, d.res)
	}
	for _, x := range r.all() {
		if x.Status != http.StatusServiceUnavailable || x.Problem.Type != idemclient.ProblemStoreUnavailable || x.Wait != time.Second {
			t.Errorf("retry %+v, want 503 store-unavailable waited for its Retry-After, 1s", x)
		}
	}
	if keys := path.seen(); len(keys) != d.res.Attempts || strings.Count(strings.Join(keys, " "), d.res.Key) != len(keys) {
		t.Errorf("keys on the wire %q, want %d times %q", keys, d.res.Attempts, d.res.Key)
	}
	if n := charges(t, upstream); n != 1 {
		t.Errorf("orderapp_payment_charges_total = %v, want 1", n)
	}
	if o := outcomes(t, p); o["executed"] != 1 || o["store_error"] < 1 {
		t.Errorf("idemproxy_requests_total = %v, want executed 1, store_error at least 1", o)
	}
}
