package middleware

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// claimSpy signals every claim, so a test knows when all callers have
// reached the store.
type claimSpy struct {
	*spyStore
	claimed chan struct{}
	claims  atomic.Int64
}

func (s *claimSpy) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	res, err := s.spyStore.Claim(ctx, req)
	s.claims.Add(1)
	select {
	case s.claimed <- struct{}{}:
	default:
	}
	return res, err
}

type stormResult struct {
	status int
	body   string
	header http.Header
}

// storm sends n concurrent requests with one key through a middleware
// whose handler blocks until the storm has hit the store: in reject mode
// until every other caller has its answer, in wait mode until every caller
// has claimed once. It returns every response and the handler's run count.
func storm(t *testing.T, mode InProgressMode, n int) (results []stormResult, calls int64) {
	t.Helper()
	e := newEnv(t, Config{Policy: Policy{InProgress: mode}}, nil)
	// Room for every claim a sane storm makes (each waiter claims twice),
	// and more: a claim loop that spins must not block, but show.
	spy := &claimSpy{spyStore: e.spy, claimed: make(chan struct{}, n*8)}
	mw, err := New(spy, Config{Policy: Policy{InProgress: mode}})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var runs atomic.Int64
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the first run waits: a second run (the bug this test is
		// for) answers at once, so the storm ends and the count shows it.
		if runs.Add(1) == 1 {
			<-release
		}
		ordersHandler(e).ServeHTTP(w, r)
	})
	h := asCaller(mw.Handler(slow))

	out := make(chan stormResult, n)
	for range n {
		go func() {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body1))
			r.Header.Set("Idempotency-Key", "storm")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			out <- stormResult{w.Code, w.Body.String(), w.Header()}
		}()
	}
	// A storm that hangs is a failure, not a test timeout ten minutes on.
	stuck := time.NewTimer(time.Minute)
	defer stuck.Stop()
	next := func(c <-chan struct{}, what string) {
		select {
		case <-c:
		case <-stuck.C:
			t.Fatalf("storm stuck waiting for %s", what)
		}
	}
	collect := func() {
		select {
		case r := <-out:
			results = append(results, r)
		case <-stuck.C:
			t.Fatalf("storm stuck after %d responses", len(results))
		}
	}
	switch mode {
	case InProgressReject:
		// Everyone but the owner answers while the owner is still running.
		for range n - 1 {
			collect()
		}
	case InProgressWait:
		// Everyone has claimed once (and so is waiting) before the owner
		// finishes.
		for i := range n {
			next(spy.claimed, fmt.Sprintf("claim %d", i+1))
		}
	}
	close(release)
	for len(results) < n {
		collect()
	}
	if got := spy.claims.Load(); got > int64(2*n) {
		t.Errorf("%d claims for %d callers, want at most %d: a waiter claims in a loop", got, n, 2*n)
	}
	return results, e.calls.Load()
}

func TestStormRunsHandlerOnce(t *testing.T) {
	t.Parallel()
	const n = 200
	results, calls := storm(t, InProgressReject, n)
	if calls != 1 {
		t.Fatalf("handler ran %d times for one key, want 1", calls)
	}
	counts := map[int]int{}
	for _, r := range results {
		counts[r.status]++
		if r.status == http.StatusConflict && r.header.Get("Retry-After") == "" {
			t.Errorf("409 without Retry-After")
		}
	}
	if counts[http.StatusCreated] != 1 || counts[http.StatusConflict] != n-1 {
		t.Errorf("statuses = %v, want one 201 and %d 409", counts, n-1)
	}
}

func TestStormWaitModeReplaysToEveryone(t *testing.T) {
	t.Parallel()
	const n = 200
	results, calls := storm(t, InProgressWait, n)
	if calls != 1 {
		t.Fatalf("handler ran %d times for one key, want 1", calls)
	}
	var first string
	replayed := 0
	for _, r := range results {
		if r.status != http.StatusCreated {
			t.Fatalf("a caller got %d %s, want 201", r.status, r.body)
		}
		if r.header.Get("Idempotent-Replayed") == "true" {
			replayed++
		} else {
			first = r.body
		}
	}
	if replayed != n-1 {
		t.Errorf("%d callers got a replay, want %d", replayed, n-1)
	}
	for _, r := range results {
		if !bytes.Equal([]byte(r.body), []byte(first)) {
			t.Fatalf("caller got %q, want the owner's response %q", r.body, first)
		}
	}
}
