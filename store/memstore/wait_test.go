package memstore_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// The conformance suite cannot know that a waiter is inside Wait. In a
// synctest bubble it can: synctest.Wait returns once every goroutine of the
// bubble is durably blocked, so "the waiter has not returned" is a fact, not
// a race.

// waiter runs Wait(ctx, key) in a goroutine and reports on the returned
// channel.
func waiter(ctx context.Context, s store.Store, key store.Key) <-chan error {
	c := make(chan error, 1)
	go func() { c <- s.Wait(ctx, key) }()
	return c
}

// wantBlocked checks that the waiter has not returned, once every goroutine
// of the bubble is blocked.
func wantBlocked(t *testing.T, c <-chan error, when string) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-c:
		t.Fatalf("%s: Wait returned %v, want it blocked", when, err)
	default:
	}
}

// wantReturned checks that the waiter returned want.
func wantReturned(t *testing.T, c <-chan error, want error, when string) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-c:
		if !errors.Is(err, want) {
			t.Fatalf("%s: Wait: got error %v, want %v", when, err, want)
		}
	default:
		t.Fatalf("%s: Wait still blocked, want it returned", when)
	}
}

func TestWaitBlocksUntilFinish(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := new(fakeClock)
		s := newStore(t, memstore.Config{Now: clock.Now})
		key := newKey()
		claimWant(t, s, req(key, "o1"), store.Claimed)
		c := waiter(t.Context(), s, key)
		wantBlocked(t, c, "before Finish")
		if err := s.Renew(t.Context(), key, "o1", lease); err != nil {
			t.Fatalf("Renew: got error %v, want nil", err)
		}
		wantBlocked(t, c, "after Renew")
		if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o1", State: store.Completed, Status: http.StatusOK, TTL: ttl}); err != nil {
			t.Fatalf("Finish: got error %v, want nil", err)
		}
		wantReturned(t, c, nil, "after Finish")
	})
}

// A takeover is not an end: waiters go on waiting for the new owner.
func TestWaitSurvivesTakeOver(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := new(fakeClock)
		s := newStore(t, memstore.Config{Now: clock.Now})
		key := newKey()
		claimWant(t, s, req(key, "o1"), store.Claimed)
		c := waiter(t.Context(), s, key)
		clock.Advance(lease + time.Second)
		r := req(key, "o2")
		r.TakeOver = true
		claimWant(t, s, r, store.Claimed)
		wantBlocked(t, c, "after takeover")
		if err := s.Release(t.Context(), key, "o2"); err != nil {
			t.Fatalf("Release: got error %v, want nil", err)
		}
		wantReturned(t, c, nil, "after the new owner's Release")
	})
}

// An expired record is absent; once the store notices, its waiters return
// rather than wait out their context.
func TestWaitReturnsWhenExpiryFound(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := new(fakeClock)
		s := newStore(t, memstore.Config{Now: clock.Now})
		key := newKey()
		claimWant(t, s, req(key, "o1"), store.Claimed)
		c := waiter(t.Context(), s, key)
		wantBlocked(t, c, "before expiry")
		clock.Advance(ttl + time.Second)
		if _, err := s.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get after TTL: got error %v, want ErrNotFound", err)
		}
		wantReturned(t, c, nil, "after the expiry was found")
	})
}

// Wait on a busy key ends with ctx, at its deadline and not before. The
// bubble's clock jumps to the deadline once everything is blocked, so this
// takes no real time.
func TestWaitHonoursDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, memstore.Config{})
		key := newKey()
		claimWant(t, s, req(key, "o1"), store.Claimed)
		const wait = 3 * time.Second
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		defer cancel()
		start := time.Now()
		if err := s.Wait(ctx, key); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait: got error %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != wait {
			t.Errorf("Wait returned after %v, want %v", got, wait)
		}
	})
}
