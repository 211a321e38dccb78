package storetest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// bound caps every Wait the suite expects to return, so that a backend whose
// Wait hangs fails the case instead of the whole test binary. It is not a
// delay: nothing waits for it unless the backend is broken.
const bound = 30 * time.Second

// waitCases: Wait returns at once unless the key is IN_PROGRESS, returns when
// the owner finishes, releases or the record is deleted, and otherwise
// returns ctx.Err() when ctx ends.
func waitCases() []testCase {
	return []testCase{
		{"AbsentReturnsAtOnce", waitAtOnceCase(func(*testing.T, *env, store.Key) string { return "" })},
		{"CompletedReturnsAtOnce", waitAtOnceCase(func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, sampleResponse())
			return ""
		})},
		{"NotReplayableReturnsAtOnce", waitAtOnceCase(func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, nil)
			return ""
		})},
		{"FailedReturnsAtOnce", waitAtOnceCase(func(t *testing.T, e *env, key store.Key) string {
			e.failed(t, key, http.StatusInternalServerError)
			return ""
		})},
		{"ReturnsAfterFinish", waitEndCase(func(t *testing.T, e *env, key store.Key, owner string) store.ClaimOutcome {
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, Response: sampleResponse(), TTL: ttl})
			return store.Replay
		})},
		{"ReturnsAfterFinishFailed", waitEndCase(func(t *testing.T, e *env, key store.Key, owner string) store.ClaimOutcome {
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: http.StatusServiceUnavailable, TTL: ttl})
			return store.PreviouslyFailed
		})},
		{"ReturnsAfterRelease", waitEndCase(func(t *testing.T, e *env, key store.Key, owner string) store.ClaimOutcome {
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
			return store.Claimed
		})},
		{"ReturnsAfterDelete", waitEndCase(func(t *testing.T, e *env, key store.Key, _ string) store.ClaimOutcome {
			if err := e.s.Delete(t.Context(), key); err != nil {
				t.Fatalf("Delete: got error %v, want nil", err)
			}
			return store.Claimed
		})},
		{"CancelledContextOnBusy", func(t *testing.T, e *env) {
			key := newKey()
			e.claimed(t, key)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := e.s.Wait(ctx, key); !errors.Is(err, context.Canceled) {
				t.Errorf("Wait: got error %v, want context.Canceled", err)
			}
		}},
		{"DeadlineOnBusy", func(t *testing.T, e *env) {
			key := newKey()
			e.claimed(t, key)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			if err := e.s.Wait(ctx, key); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Wait: got error %v, want context.DeadlineExceeded", err)
			}
			// Waiting changed nothing.
			e.claimWant(t, request(key, "A", newOwner()), store.Busy)
		}},
	}
}

// waitAtOnceCase: Wait on a key that is not IN_PROGRESS returns nil without
// blocking.
func waitAtOnceCase(setup func(t *testing.T, e *env, key store.Key) string) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		key := newKey()
		setup(t, e, key)
		ctx, cancel := context.WithTimeout(t.Context(), bound)
		defer cancel()
		if err := e.s.Wait(ctx, key); err != nil {
			t.Errorf("Wait: got error %v, want nil at once", err)
		}
	}
}

// waitEndCase starts waiters on an IN_PROGRESS key, ends the claim with end
// on the test goroutine, and checks that every waiter returns nil and that a
// claim then sees what end left (want).
//
// With Harness.WaitBlocked, end runs only once every waiter has blocked, so
// each must be woken by the notification of the end. Without it, nothing
// can tell that a goroutine is inside Wait, so a waiter may still be
// starting when end runs; either way Wait must return nil, since the record
// is then not IN_PROGRESS, and the check that no waiter returned before end
// is a best effort that catches a Wait that never blocks.
func waitEndCase(end func(t *testing.T, e *env, key store.Key, owner string) store.ClaimOutcome) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		const waiters = 4
		key := newKey()
		owner, _ := e.claimed(t, key)
		ctx, cancel := context.WithTimeout(t.Context(), bound)
		defer cancel()
		var blocked <-chan struct{}
		if e.waitBlocked != nil {
			blocked = e.waitBlocked(key)
		}

		errs := make(chan error, waiters)
		started := make(chan struct{}, waiters)
		for range waiters {
			go func() {
				started <- struct{}{}
				errs <- e.s.Wait(ctx, key)
			}()
		}
		for range waiters {
			<-started
		}
		if blocked != nil {
			for i := range waiters {
				select {
				case <-blocked:
				case err := <-errs:
					t.Fatalf("Wait returned %v while the key was IN_PROGRESS, want it to block", err)
				case <-ctx.Done():
					t.Fatalf("%d of %d waiters blocked within %v", i, waiters, bound)
				}
			}
		}
		select {
		case err := <-errs:
			t.Fatalf("Wait returned %v while the key was IN_PROGRESS, want it to block", err)
		default:
		}

		want := end(t, e, key, owner)
		for i := range waiters {
			if err := <-errs; err != nil {
				t.Errorf("waiter %d: Wait: got error %v, want nil", i, err)
			}
		}
		e.claimWant(t, request(key, "A", newOwner()), want)
	}
}
