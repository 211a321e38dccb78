package middleware

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/store/memstore"
)

// stuckClient is the ResponseWriter of a client that never reads: every
// Write blocks, as on a connection whose window is full, until the write
// deadline set through http.ResponseController passes.
type stuckClient struct {
	header http.Header
	once   sync.Once
	passed chan struct{}
}

func newStuckClient() *stuckClient {
	return &stuckClient{header: http.Header{}, passed: make(chan struct{})}
}

func (c *stuckClient) Header() http.Header { return c.header }
func (c *stuckClient) WriteHeader(int)     {}
func (c *stuckClient) Write([]byte) (int, error) {
	<-c.passed
	return 0, os.ErrDeadlineExceeded
}

func (c *stuckClient) SetWriteDeadline(t time.Time) error {
	time.AfterFunc(time.Until(t), func() { c.once.Do(func() { close(c.passed) }) })
	return nil
}

// TestSlowReaderNeverLooksAbandoned: a client that never reads keeps the
// handler in Write past its timeout. Its key must stay in progress (the
// owner is alive) until the handler has returned, which the write deadline
// set at handler_timeout + handler_grace brings about; then the response,
// cut, is not replayable. With on_abandoned: retry, a key that looked
// abandoned would have run a second time.
func TestSlowReaderNeverLooksAbandoned(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{
			Scope: "none", Lease: 30 * time.Millisecond, HandlerTimeout: 100 * time.Millisecond,
			HandlerGrace: 100 * time.Millisecond, OnAbandoned: AbandonedRetry,
		}})
		if err != nil {
			t.Fatal(err)
		}
		var runs sync.WaitGroup
		var calls atomic.Int64
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			// A proxy streaming a large upstream body: it writes until the
			// upstream side ends with the handler's context.
			chunk := make([]byte, 32<<10)
			for r.Context().Err() == nil {
				_, _ = w.Write(chunk)
			}
		}))
		send := func(w http.ResponseWriter) {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("order"))
			r.Header.Set("Idempotency-Key", "big")
			h.ServeHTTP(w, r)
		}
		runs.Add(1)
		go func() { defer runs.Done(); send(newStuckClient()) }()

		var seen []string
		for range 12 { // every 25ms for 300ms: past the lease, the timeout and the grace
			time.Sleep(25 * time.Millisecond)
			w := httptest.NewRecorder()
			send(w)
			seen = append(seen, problemOf(w))
		}
		runs.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("the handler ran %d times, want 1; retries saw %q", n, seen)
		}
		for _, got := range seen {
			if got != "in-progress" && got != "not-replayable" {
				t.Errorf("retries saw %q, want in-progress until the owner returned, then not-replayable", seen)
				break
			}
		}
		if last := seen[len(seen)-1]; last != "not-replayable" {
			t.Errorf("after the owner returned: %q, want not-replayable (the response was cut)", last)
		}
	})
}

func problemOf(w *httptest.ResponseRecorder) string {
	if i := strings.Index(w.Body.String(), "#problem-"); i >= 0 {
		return strings.SplitN(w.Body.String()[i+len("#problem-"):], `"`, 2)[0]
	}
	return http.StatusText(w.Code)
}

// blockedClient is a client that does not read, behind a writer that takes
// no write deadline (an outer middleware without Unwrap): its writes block
// until the test lets them through.
type blockedClient struct {
	header  http.Header
	release chan struct{}
}

func (c *blockedClient) Header() http.Header { return c.header }
func (c *blockedClient) WriteHeader(int)     {}
func (c *blockedClient) Write(p []byte) (int, error) {
	<-c.release
	return len(p), nil
}

// TestSlowReaderWithoutDeadlinesIsRenewed: when writes cannot be cut, a
// handler blocked writing past handler_timeout + handler_grace is still a
// live owner: its lease is renewed until it returns, never taken over.
func TestSlowReaderWithoutDeadlinesIsRenewed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{
			Scope: "none", Lease: 30 * time.Millisecond, HandlerTimeout: 100 * time.Millisecond,
			HandlerGrace: 100 * time.Millisecond, OnAbandoned: AbandonedRetry,
		}})
		if err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int64
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			_, _ = w.Write(make([]byte, 1024))
		}))
		send := func(w http.ResponseWriter) {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("order"))
			r.Header.Set("Idempotency-Key", "k")
			h.ServeHTTP(w, r)
		}
		client := &blockedClient{header: http.Header{}, release: make(chan struct{})}
		done := make(chan struct{})
		go func() { defer close(done); send(client) }()
		time.Sleep(time.Second) // virtual: five times handler_timeout + handler_grace
		w := httptest.NewRecorder()
		send(w)
		if got := problemOf(w); got != "in-progress" {
			t.Errorf("a retry while the owner is stuck writing: %q, want in-progress", got)
		}
		close(client.release)
		<-done
		if n := calls.Load(); n != 1 {
			t.Errorf("the handler ran %d times, want 1", n)
		}
	})
}

// TestResponseDoneBeforeTheTimeoutStaysReplayable: a handler that wrote its
// whole response in time and returns a moment after handler_timeout was
// not cut: its response is replayed.
func TestResponseDoneBeforeTheTimeoutStaysReplayable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{
			Scope: "none", Lease: 30 * time.Millisecond, HandlerTimeout: 100 * time.Millisecond,
		}})
		if err != nil {
			t.Fatal(err)
		}
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("receipt"))
			<-r.Context().Done()
			time.Sleep(time.Millisecond) // its cleanup, after its time was up
		}))
		send := func() *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("order"))
			r.Header.Set("Idempotency-Key", "k")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		send()
		if w := send(); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != "receipt" {
			t.Errorf("retry: %d %q replayed=%q, want the replay of the receipt", w.Code, w.Body, w.Header().Get("Idempotent-Replayed"))
		}
	})
}
