package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// lostReplyStore applies every claim but reports it failed, as a store
// whose reply was lost (or came after the caller's deadline) does, while
// the claim switch is on; its first failReleases releases fail too, as they
// do while the store is still unreachable.
type lostReplyStore struct {
	store.Store
	loseClaims   atomic.Bool
	failReleases atomic.Int64
	releases     atomic.Int64
}

var errReplyLost = errors.New("fake: reply lost")

func (s *lostReplyStore) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	res, err := s.Store.Claim(ctx, req)
	if s.loseClaims.Load() {
		return store.ClaimResult{}, errReplyLost
	}
	return res, err
}

func (s *lostReplyStore) Release(ctx context.Context, key store.Key, owner string) error {
	s.releases.Add(1)
	if s.failReleases.Add(-1) >= 0 {
		return errReplyLost
	}
	return s.Store.Release(ctx, key, owner)
}

// TestGivenUpClaimIsReleasedOnceTheStoreAnswers: a claim whose reply was
// lost took the key; the client was told 503, "retry with the same key".
// The release is retried until the store takes it, so the retry runs the
// request instead of meeting a key held by nobody (409, then "abandoned"
// for the record's whole TTL).
func TestGivenUpClaimIsReleasedOnceTheStoreAnswers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		st := &lostReplyStore{Store: mem}
		st.loseClaims.Store(true)
		st.failReleases.Store(4)
		mw, err := New(st, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{Scope: "none"}})
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			calls++
			w.WriteHeader(http.StatusCreated)
		}))
		send := func() *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("order"))
			r.Header.Set("Idempotency-Key", "k")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		if w := send(); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("claim with a lost reply: %d, want 503", w.Code)
		}
		st.loseClaims.Store(false)
		if got := testutil.ToFloat64(mw.metrics.pendingReleases); got != 1 {
			t.Errorf("pending releases = %v, want 1", got)
		}
		time.Sleep(2 * time.Second) // virtual: the release's backoffs, 100+200+400+800 ms
		synctest.Wait()
		if n := st.releases.Load(); n != 5 {
			t.Errorf("%d release attempts, want 5 (4 failed, then the one that landed)", n)
		}
		if got := testutil.ToFloat64(mw.metrics.pendingReleases); got != 0 {
			t.Errorf("pending releases = %v, want 0", got)
		}
		if w := send(); w.Code != http.StatusCreated || calls != 1 {
			t.Errorf("the client's retry: %d with %d calls, want 201 and the handler run once", w.Code, calls)
		}
	})
}

// TestReleasesAreBounded: past PendingReleases, a given-up claim's release
// is dropped and counted, not queued without bound.
func TestReleasesAreBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, _ := memstore.New(memstore.Config{})
		st := &lostReplyStore{Store: mem}
		st.loseClaims.Store(true)
		st.failReleases.Store(1 << 30) // the store stays unreachable
		mw, err := New(st, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{Scope: "none", TTL: time.Minute}, PendingReleases: 2})
		if err != nil {
			t.Fatal(err)
		}
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		for i := range 5 {
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("order"))
			r.Header.Set("Idempotency-Key", "k"+string(rune('a'+i)))
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
		if got := testutil.ToFloat64(mw.metrics.pendingReleases); got != 2 {
			t.Errorf("pending releases = %v, want 2", got)
		}
		if got := testutil.ToFloat64(mw.metrics.releasesDropped); got != 3 {
			t.Errorf("dropped releases = %v, want 3", got)
		}
		time.Sleep(2 * time.Minute) // virtual: past the records' TTL, the retries give up
		synctest.Wait()
		if got := testutil.ToFloat64(mw.metrics.pendingReleases); got != 0 {
			t.Errorf("pending releases after the TTL = %v, want 0", got)
		}
	})
}

// TestReleaseWaitsAreJittered: each wait lies in (0, backoff], and waits
// at one backoff are spread, not equal.
func TestReleaseWaitsAreJittered(t *testing.T) {
	t.Parallel()
	for backoff := releaseFirstBackoff; backoff <= releaseMaxBackoff; backoff *= 2 {
		seen := map[time.Duration]bool{}
		for range 100 {
			w := releaseWait(backoff)
			if w <= 0 || w > backoff {
				t.Fatalf("releaseWait(%v) = %v, want in (0, %v]", backoff, w, backoff)
			}
			seen[w] = true
		}
		if len(seen) < 50 {
			t.Errorf("releaseWait(%v): %d distinct waits in 100, want them spread", backoff, len(seen))
		}
	}
}
