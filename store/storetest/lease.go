package storetest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// leaseCases: Renew, Release, and what an owner may still do after its lease
// lapsed but before anyone took the record over.
func leaseCases() []testCase {
	return []testCase{
		{"RenewExtendsLease", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			first := e.get(t, key)
			step := lease * 4 / 5
			e.advance(step)
			if err := e.s.Renew(t.Context(), key, owner, lease); err != nil {
				t.Fatalf("Renew: got error %v, want nil", err)
			}
			rec := e.get(t, key)
			if got := rec.LeaseUntil.Sub(first.LeaseUntil); !near(got, step) {
				t.Errorf("LeaseUntil moved by %v, want %v ± %v", got, step, slack)
			}
			if rec.Owner != owner || rec.Version != first.Version || rec.State != store.InProgress {
				t.Errorf("record after Renew: got %v owner %q version %d, want IN_PROGRESS %q %d",
					rec.State, rec.Owner, rec.Version, owner, first.Version)
			}
			// Past the original lease, within the renewed one.
			e.advance(step)
			res := e.claimWant(t, request(key, "A", newOwner()), store.Busy)
			if want := lease - step; !near(res.RetryAfter, want) {
				t.Errorf("RetryAfter: got %v, want %v ± %v", res.RetryAfter, want, slack)
			}
			e.advance(lease - step + past)
			e.claimWant(t, request(key, "A", newOwner()), store.Abandoned)
		}},
		{"RenewAfterLapseBeforeTakeOver", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			e.advance(lease + past)
			// Nobody took the record over: it is still the owner's.
			if err := e.s.Renew(t.Context(), key, owner, lease); err != nil {
				t.Fatalf("Renew: got error %v, want nil", err)
			}
			e.claimWant(t, request(key, "A", newOwner()), store.Busy)
		}},
		{"FinishAfterLapseBeforeTakeOver", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			e.advance(lease + past)
			resp := sampleResponse()
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: resp.Status, Response: resp, TTL: ttl})
			e.claimWant(t, request(key, "A", newOwner()), store.Replay)
		}},
		{"ReleaseFreesKey", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
			e.wantNotFound(t, key)
			// The record is gone, fingerprint and all: any request may claim.
			e.claimWant(t, request(key, "B", newOwner()), store.Claimed)
		}},
		{"ReleaseAfterLapseBeforeTakeOver", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			e.advance(lease + past)
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
			e.claimWant(t, request(key, "A", newOwner()), store.Claimed)
		}},
	}
}

// fencingCases: Finish, Release and Renew by anyone but the current owner of
// an IN_PROGRESS record answer ErrNotOwner and change nothing.
func fencingCases() []testCase {
	situations := []struct {
		name string
		// setup returns the owner token the operations are tried with.
		setup func(t *testing.T, e *env, key store.Key) string
	}{
		{"WrongOwner", func(t *testing.T, e *env, key store.Key) string {
			e.claimed(t, key)
			return newOwner()
		}},
		{"Absent", func(*testing.T, *env, store.Key) string { return newOwner() }},
		{"Completed", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, Response: sampleResponse(), TTL: ttl})
			return owner
		}},
		{"CompletedLarge", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			body := make([]byte, 70<<10)
			for i := range body {
				body[i] = byte(i * 7)
			}
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, Response: &store.Response{Status: http.StatusOK, Body: body}, TTL: ttl})
			return owner
		}},
		{"NotReplayable", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, TTL: ttl})
			return owner
		}},
		{"Failed", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: http.StatusBadGateway, TTL: ttl})
			return owner
		}},
		{"Released", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
			return owner
		}},
		{"Deleted", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			if err := e.s.Delete(t.Context(), key); err != nil {
				t.Fatalf("Delete: got error %v, want nil", err)
			}
			return owner
		}},
		{"Expired", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			e.advance(ttl + past)
			return owner
		}},
		{"TakenOver", func(t *testing.T, e *env, key store.Key) string {
			owner, _ := e.claimed(t, key)
			e.advance(lease + past)
			req := request(key, "A", newOwner())
			req.TakeOver = true
			e.claimWant(t, req, store.Claimed)
			return owner
		}},
	}
	ops := []struct {
		name string
		do   func(t *testing.T, s store.Store, key store.Key, owner string) error
	}{
		{"Renew", func(t *testing.T, s store.Store, key store.Key, owner string) error {
			return s.Renew(t.Context(), key, owner, lease)
		}},
		{"FinishCompleted", func(t *testing.T, s store.Store, key store.Key, owner string) error {
			return s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusAccepted, Response: &store.Response{Status: http.StatusAccepted, Body: []byte("stale")}, TTL: ttl})
		}},
		{"FinishCompletedLarge", func(t *testing.T, s store.Store, key store.Key, owner string) error {
			// Large enough that a backend may keep it apart from the record
			// (Redis: beyond 2 KiB).
			return s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusAccepted, Response: &store.Response{Status: http.StatusAccepted, Body: make([]byte, 70<<10)}, TTL: ttl})
		}},
		{"FinishFailed", func(t *testing.T, s store.Store, key store.Key, owner string) error {
			return s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: http.StatusInternalServerError, TTL: ttl})
		}},
		{"Release", func(t *testing.T, s store.Store, key store.Key, owner string) error {
			return s.Release(t.Context(), key, owner)
		}},
	}
	var cases []testCase
	for _, sit := range situations {
		for _, op := range ops {
			cases = append(cases, testCase{sit.name + op.name, func(t *testing.T, e *env) {
				key := newKey()
				owner := sit.setup(t, e, key)
				before, getErr := e.s.Get(t.Context(), key)
				if getErr != nil && !errors.Is(getErr, store.ErrNotFound) {
					t.Fatalf("Get: got error %v, want nil or ErrNotFound", getErr)
				}
				wantErrIs(t, op.name, op.do(t, e.s, key, owner), store.ErrNotOwner)
				if getErr != nil {
					e.wantNotFound(t, key)
					return
				}
				e.wantUnchanged(t, key, before)
			}})
		}
	}
	return cases
}
