package middleware

import (
	"bytes"
	"context"

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
}

func (s *claimSpy) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	res, err := s.spyStore.Claim(ctx, req)
	s.claimed <- struct{}{}
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
	spy := &claimSpy{spyStore: e.spy, claimed: make(chan struct{}, n*4)}
	mw, err := New(spy, Config{Policy: Policy{InProgress: mode}})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		ordersHandler(e).ServeHTTP(w, r)
	})
	h := mw.Handler(slow)

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
	switch mode {
	case InProgressReject:
		// Everyone but the owner answers while the owner is still running.
		for range n - 1 {
			results = append(results, <-out)
		}
		close(release)
		results = append(results, <-out)
	case InProgressWait:
		// Everyone has claimed once (and so is waiting) before the owner
		// finishes.
		for range n {
			<-spy.claimed
		}
		close(release)
		for range n {
			results = append(results, <-out)
		}
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
