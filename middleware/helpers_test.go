package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// fakeClock is the memory store's clock in tests: leases and TTLs pass when
// the test says so, never by sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// spyStore wraps a real store: it counts operations and can fail them all.
// It is a fake of our own port, not of Redis.
type spyStore struct {
	store.Store
	ops  atomic.Int64
	fail atomic.Bool
}

var errStoreDown = errors.New("spy: store down")

func (s *spyStore) op() error {
	s.ops.Add(1)
	if s.fail.Load() {
		return errStoreDown
	}
	return nil
}

func (s *spyStore) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	if err := s.op(); err != nil {
		return store.ClaimResult{}, err
	}
	return s.Store.Claim(ctx, req)
}

func (s *spyStore) Renew(ctx context.Context, key store.Key, owner string, lease time.Duration) error {
	if err := s.op(); err != nil {
		return err
	}
	return s.Store.Renew(ctx, key, owner, lease)
}

func (s *spyStore) Finish(ctx context.Context, req store.FinishRequest) error {
	if err := s.op(); err != nil {
		return err
	}
	return s.Store.Finish(ctx, req)
}

func (s *spyStore) Release(ctx context.Context, key store.Key, owner string) error {
	if err := s.op(); err != nil {
		return err
	}
	return s.Store.Release(ctx, key, owner)
}

func (s *spyStore) Wait(ctx context.Context, key store.Key) error {
	if err := s.op(); err != nil {
		return err
	}
	return s.Store.Wait(ctx, key)
}

// env is one middleware over a fresh memory store, with its own registry.
type env struct {
	t     *testing.T
	clock *fakeClock
	mem   *memstore.Store
	spy   *spyStore
	reg   *prometheus.Registry
	mw    *Middleware
	h     http.Handler
	calls atomic.Int64 // how often the orders handler ran
}

// claimAsAnotherOwner claims, straight in the store, the key that a POST
// /orders with body from the caller scope would get: a request of
// someone else's in flight, as the middleware would see it.
func (e *env) claimAsAnotherOwner(scope, key, body string) {
	e.t.Helper()
	_, err := e.mem.Claim(context.Background(), store.ClaimRequest{
		Key:         storageKey(scopeHeader, scope, key),
		Fingerprint: fingerprint(httptestRequest(body), "/orders", nil, []byte(body), nil),
		Owner:       "someone-else", Lease: 10 * time.Second, TTL: time.Hour,
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func httptestRequest(body string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	return r
}

func newEnv(t *testing.T, cfg Config, next func(e *env) http.Handler) *env {
	t.Helper()
	e := &env{t: t, clock: &fakeClock{now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}, reg: prometheus.NewRegistry()}
	mem, err := memstore.New(memstore.Config{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.mem, e.spy = mem, &spyStore{Store: mem}
	cfg.Registerer = e.reg
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if e.mw, err = New(e.spy, cfg); err != nil {
		t.Fatal(err)
	}
	if next == nil {
		next = ordersHandler
	}
	e.h = asCaller(e.mw.Handler(next(e)))
	return e
}

// anonymousHeader, on a test request, keeps asCaller from naming a caller.
const anonymousHeader = "X-Test-Anonymous"

// asCaller gives every request without an Authorization header the one
// test caller's, as an authenticated client would send it: the default scope
// is header:Authorization, and a request naming no caller is refused.
// Requests carrying anonymousHeader are passed on as they are.
func asCaller(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, anon := r.Header[anonymousHeader]; anon {
			r.Header.Del(anonymousHeader)
		} else if _, ok := r.Header["Authorization"]; !ok {
			r.Header.Set("Authorization", "Bearer test-caller")
		}
		h.ServeHTTP(w, r)
	})
}

// ordersHandler stands in for an order API: every execution gets a new
// order number, so a replay is told from a re-execution by its body. The
// status comes from the X-Want-Status request header (default 201).
func ordersHandler(e *env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := e.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		status := http.StatusCreated
		if s := r.Header.Get("X-Want-Status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", fmt.Sprintf("/orders/%d", n))
		w.Header().Set("Set-Cookie", "session=secret")
		w.Header().Set("Date", "Sat, 28 Nov 2026 00:00:00 GMT")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"order":%d,"echo":%q,"fence":%q}`, n, body, r.Header.Get("Idempotency-Fencing-Token"))
	})
}

// request describes one test request.
type request struct {
	method string // default POST
	path   string // default /orders
	key    string // Idempotency-Key; "" sends none
	lines  []string
	body   string
	header http.Header
	// contentLength, when set, is declared whatever the body is.
	contentLength int64
}

func (e *env) do(rq request) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(orDefault(rq.method, http.MethodPost), orDefault(rq.path, "/orders"), stringsReader(rq.body))
	for k, vs := range rq.header {
		r.Header[k] = vs
	}
	if rq.key != "" {
		r.Header.Set("Idempotency-Key", rq.key)
	}
	if rq.lines != nil {
		r.Header["Idempotency-Key"] = rq.lines
	}
	if rq.contentLength != 0 {
		r.ContentLength = rq.contentLength
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func stringsReader(s string) io.Reader {
	if s == "" {
		return nil
	}
	return &stringReader{s: s}
}

// stringReader hides its length, so requests look chunked (ContentLength -1)
// unless a test sets one; the body limit must hold either way.
type stringReader struct{ s string }

func (r *stringReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

func (e *env) outcome(route string, o Outcome) float64 {
	return testutil.ToFloat64(e.mw.metrics.requests.WithLabelValues(route, string(o)))
}

// outcomeTotal sums requests_total{outcome=o} over every route.
func (e *env) outcomeTotal(o Outcome) float64 {
	e.t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != "idemproxy_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == string(o) {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
