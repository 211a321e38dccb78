package storetest

import (
	"net/http"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// ttlCases: a record lives for its TTL whatever its state, an expired record
// is absent, and a finished record's TTL counts from Finish.
func ttlCases() []testCase {
	return []testCase{
		{"InProgressExpires", expiryCase(inProgress, store.Abandoned)},
		{"CompletedExpires", expiryCase(func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, sampleResponse())
			return ""
		}, store.Replay)},
		{"NotReplayableExpires", expiryCase(func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, nil)
			return ""
		}, store.NotReplayable)},
		{"FailedExpires", expiryCase(func(t *testing.T, e *env, key store.Key) string {
			e.failed(t, key, http.StatusInternalServerError)
			return ""
		}, store.PreviouslyFailed)},
		{"LeaseLongerThanTTLKeepsRecord", func(t *testing.T, e *env) {
			// The record outlives its lease whatever the two durations: a
			// record that expired under a live lease would let a second
			// request run beside the owner.
			key := newKey()
			req := request(key, "A", newOwner())
			req.Lease, req.TTL = 60*time.Second, 10*time.Second
			e.claimWant(t, req, store.Claimed)
			e.advance(20 * time.Second)
			e.claimWant(t, request(key, "A", newOwner()), store.Busy)
		}},
		{"FinishedTTLCountsFromFinish", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key) // kept for ttl from now
			e.advance(ttl * 3 / 4)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, Response: sampleResponse(), TTL: ttl})
			e.advance(ttl / 2) // past the claim's TTL, within the finish's
			e.claimWant(t, request(key, "A", newOwner()), store.Replay)
			e.advance(ttl/2 + past)
			e.wantNotFound(t, key)
		}},
		{"FinishedTTLMayBeShorter", func(t *testing.T, e *env) {
			key := newKey()
			owner, _ := e.claimed(t, key)
			short := time.Minute
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: http.StatusBadGateway, TTL: short})
			e.advance(short + past)
			e.wantNotFound(t, key)
			e.claimWant(t, request(key, "A", newOwner()), store.Claimed)
		}},
	}
}

// expiryCase puts a key in a state, checks it answers want until just before
// its TTL, then that it is absent past it and may be claimed afresh with a
// greater version — by any request, since the old fingerprint is gone.
func expiryCase(setup func(t *testing.T, e *env, key store.Key) string, want store.ClaimOutcome) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		key := newKey()
		setup(t, e, key)
		before := e.get(t, key)
		e.advance(ttl - past)
		e.claimWant(t, request(key, "A", newOwner()), want)
		e.advance(2 * past)
		e.wantNotFound(t, key)
		res := e.claimWant(t, request(key, "B", newOwner()), store.Claimed)
		if res.TookOver {
			t.Errorf("TookOver: got true, want false (an expired record is absent)")
		}
		if res.Version <= before.Version {
			t.Errorf("Version: got %d, want > %d (the expired record's)", res.Version, before.Version)
		}
	}
}
