package storetest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// claimCases cover every outcome of Claim on a matching fingerprint.
func claimCases() []testCase {
	return []testCase{
		{"AbsentIsClaimed", func(t *testing.T, e *env) {
			res := e.claimWant(t, request(newKey(), "A", newOwner()), store.Claimed)
			if res.Version <= 0 {
				t.Errorf("Version: got %d, want > 0", res.Version)
			}
			if res.TookOver {
				t.Errorf("TookOver: got true, want false on an absent key")
			}
		}},
		{"EndedContextTakesNothing", func(t *testing.T, e *env) {
			// A caller that gave up on a claim (its deadline passed) has
			// told its client the request was not run: the claim must not
			// take the key for it.
			key := newKey()
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			defer cancel()
			if res, err := e.s.Claim(ctx, request(key, "A", newOwner())); err == nil {
				t.Fatalf("Claim with an ended context: %v, nil error; want an error", res.Outcome)
			}
			e.wantNotFound(t, key)
			e.claimWant(t, request(key, "A", newOwner()), store.Claimed)
		}},
		{"ReplaySampleResponse", replayCase(sampleResponse())},
		{"ReplayBodySizes", func(t *testing.T, e *env) {
			// Around the sizes a backend may split a stored response at
			// (Redis: 64-byte chunks, up to 2 KiB).
			for _, n := range []int{1, 40, 63, 64, 65, 127, 128, 129, 1000, 2000, 2047, 2048, 2049, 4096, 70 << 10} {
				body := make([]byte, n)
				for i := range body {
					body[i] = byte(i*7 + n)
				}
				replayCase(&store.Response{Status: http.StatusCreated, Header: http.Header{"Location": {"/orders/1"}}, Body: body})(t, e)
			}
		}},
		{"ReclaimedExpiredRecordKeepsNothingOfTheOld", func(t *testing.T, e *env) {
			// A key whose record expired is claimed again: nothing of the
			// old record (its response, its status) may come back with the
			// new one's, whichever is the larger (Redis keeps up to 2 KiB
			// in the record, more beside it).
			for _, sizes := range [][2]int{{1500, 3}, {70 << 10, 3}, {70 << 10, 1500}, {3, 70 << 10}, {1500, 70 << 10}} {
				key := newKey()
				old := &store.Response{Status: http.StatusCreated, Body: make([]byte, sizes[0])}
				e.completed(t, key, old)
				e.advance(ttl + past)
				owner, _ := e.claimed(t, key)
				body := make([]byte, sizes[1])
				for i := range body {
					body[i] = byte(i*3 + 1)
				}
				next := &store.Response{Status: http.StatusOK, Body: body}
				e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: next.Status, Response: next, TTL: ttl})
				res := e.claimWant(t, request(key, "A", newOwner()), store.Replay)
				if d := diffResponse(res.Response, next); d != "" {
					t.Errorf("replay of %d bytes after a reclaim of a record of %d: %s", sizes[1], sizes[0], d)
				}
			}
		}},
		{"ReplayEmptyBody", replayCase(&store.Response{Status: http.StatusOK, Header: http.Header{"Content-Length": {"0"}}, Body: []byte{}})},
		{"ReplayNilBodyNilHeader", replayCase(&store.Response{Status: http.StatusNoContent})},
		{"ReplayRedirect", replayCase(&store.Response{Status: http.StatusSeeOther, Header: http.Header{"Location": {"/orders/1"}}})},
		{"BusyWhileLeaseLives", func(t *testing.T, e *env) {
			key := newKey()
			e.claimed(t, key)
			res := e.claimWant(t, request(key, "A", newOwner()), store.Busy)
			if res.RetryAfter <= 0 || res.RetryAfter > lease {
				t.Errorf("RetryAfter: got %v, want in (0, %v]", res.RetryAfter, lease)
			}
			e.advance(lease / 2)
			res = e.claimWant(t, request(key, "A", newOwner()), store.Busy)
			if want := lease - lease/2; !near(res.RetryAfter, want) {
				t.Errorf("RetryAfter after %v: got %v, want %v ± %v", lease/2, res.RetryAfter, want, slack)
			}
		}},
		{"TakeOverOfLiveLeaseIsBusy", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			req := request(key, "A", newOwner())
			req.TakeOver = true
			e.claimWant(t, req, store.Busy)
			if got := e.get(t, key).Owner; got != owner {
				t.Errorf("Owner: got %q, want %q (a live lease is never taken over)", got, owner)
			}
		}},
		{"NotReplayableAfterFinishWithoutResponse", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, TTL: ttl})
			res := e.claimWant(t, request(key, "A", newOwner()), store.NotReplayable)
			if res.Status != http.StatusOK {
				t.Errorf("Status: got %d, want %d", res.Status, http.StatusOK)
			}
			if res.Response != nil {
				t.Errorf("Response: got %+v, want nil", res.Response)
			}
		}},
		{"PreviouslyFailed", func(t *testing.T, e *env) {
			key := newKey()
			e.failed(t, key, http.StatusServiceUnavailable)
			res := e.claimWant(t, request(key, "A", newOwner()), store.PreviouslyFailed)
			if res.Status != http.StatusServiceUnavailable {
				t.Errorf("Status: got %d, want %d", res.Status, http.StatusServiceUnavailable)
			}
			if res.Response != nil {
				t.Errorf("Response: got %+v, want nil (FAILED stores no response)", res.Response)
			}
		}},
		{"AbandonedAfterLease", func(t *testing.T, e *env) {
			key := newKey()
			e.claimed(t, key)
			before := e.get(t, key)
			e.advance(lease + past)
			e.claimWant(t, request(key, "A", newOwner()), store.Abandoned)
			e.wantUnchanged(t, key, before)
		}},
		{"TakeOverOfAbandoned", takeOverCase},
		{"TakeOverOfAbsentIsPlainClaim", func(t *testing.T, e *env) {
			req := request(newKey(), "A", newOwner())
			req.TakeOver = true
			if res := e.claimWant(t, req, store.Claimed); res.TookOver {
				t.Errorf("TookOver: got true, want false on an absent key")
			}
		}},
		{"TakeOverOfCompletedReplays", func(t *testing.T, e *env) {
			key := newKey()
			e.completed(t, key, sampleResponse())
			req := request(key, "A", newOwner())
			req.TakeOver = true
			e.claimWant(t, req, store.Replay)
		}},
		{"RetryBySameOwnerIsClaimed", func(t *testing.T, e *env) {
			key := newKey()
			req := request(key, "A", newOwner())
			first := e.claimWant(t, req, store.Claimed)
			e.advance(lease / 2)
			for i := range 2 {
				res := e.claimWant(t, req, store.Claimed)
				if res.Version != first.Version {
					t.Errorf("retry %d: Version: got %d, want %d (the same claim)", i, res.Version, first.Version)
				}
				if res.TookOver {
					t.Errorf("retry %d: TookOver: got true, want false", i)
				}
			}
			if got := e.get(t, key).Owner; got != req.Owner {
				t.Errorf("Owner: got %q, want %q", got, req.Owner)
			}
		}},
		{"RetryBySameOwnerAfterLapseRenewsLease", func(t *testing.T, e *env) {
			// A retry of the owner's claim that arrives after its lease passed
			// (nobody took over yet) answers Claimed, so the owner goes on
			// working: the lease must then be alive again, or a takeover
			// would let a second owner run beside it.
			key := newKey()
			req := request(key, "A", newOwner())
			first := e.claimWant(t, req, store.Claimed)
			e.advance(lease + past)
			if res := e.claimWant(t, req, store.Claimed); res.Version != first.Version {
				t.Errorf("retry: Version: got %d, want %d (the same claim)", res.Version, first.Version)
			}
			other := request(key, "A", newOwner())
			other.TakeOver = true
			e.claimWant(t, other, store.Busy)
			if got := e.get(t, key).Owner; got != req.Owner {
				t.Errorf("Owner: got %q, want %q", got, req.Owner)
			}
		}},
		{"VersionGrowsAfterRelease", func(t *testing.T, e *env) {
			key := newKey()
			owner, v1 := e.claimed(t, key)
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
			if _, v2 := e.claimed(t, key); v2 <= v1 {
				t.Errorf("Version after Release: got %d, want > %d", v2, v1)
			}
		}},
	}
}

// replayCase finishes a claim COMPLETED with resp and checks that a claim of
// the same request replays it byte for byte, twice (replay must not consume
// the record).
func replayCase(resp *store.Response) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		key := newKey()
		e.completed(t, key, resp)
		for i := range 2 {
			res := e.claimWant(t, request(key, "A", newOwner()), store.Replay)
			if res.Status != resp.Status {
				t.Errorf("replay %d: Status: got %d, want %d", i, res.Status, resp.Status)
			}
			if d := diffResponse(res.Response, resp); d != "" {
				t.Errorf("replay %d: %s", i, d)
			}
		}
	}
}

// takeOverCase: an abandoned record is taken over with a greater version,
// and the old owner is fenced off from then on.
func takeOverCase(t *testing.T, e *env) {
	key := newKey()
	oldOwner, oldVersion := e.claimed(t, key)
	e.advance(lease + past)

	req := request(key, "A", newOwner())
	req.TakeOver = true
	res := e.claimWant(t, req, store.Claimed)
	if !res.TookOver {
		t.Errorf("TookOver: got false, want true")
	}
	if res.Version <= oldVersion {
		t.Errorf("Version: got %d, want > %d (the old owner's)", res.Version, oldVersion)
	}
	// The new owner holds a fresh lease.
	e.claimWant(t, request(key, "A", newOwner()), store.Busy)

	rec := e.get(t, key)
	if rec.Owner != req.Owner || rec.Version != res.Version {
		t.Errorf("record: got owner %q version %d, want %q %d", rec.Owner, rec.Version, req.Owner, res.Version)
	}
	ctx := t.Context()
	wantErrIs(t, "old owner's Renew", e.s.Renew(ctx, key, oldOwner, lease), store.ErrNotOwner)
	wantErrIs(t, "old owner's Finish", e.s.Finish(ctx, store.FinishRequest{
		Key: key, Owner: oldOwner, State: store.Completed, Status: http.StatusOK, Response: sampleResponse(), TTL: ttl,
	}), store.ErrNotOwner)
	wantErrIs(t, "old owner's Release", e.s.Release(ctx, key, oldOwner), store.ErrNotOwner)
	e.wantUnchanged(t, key, rec)

	e.finish(t, store.FinishRequest{Key: key, Owner: req.Owner, State: store.Failed, Status: http.StatusBadGateway, TTL: ttl})
	e.claimWant(t, request(key, "A", newOwner()), store.PreviouslyFailed)
}
