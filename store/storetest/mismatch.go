package storetest

import (
	"net/http"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// mismatchCases: the fingerprint is compared before anything else, so a
// different request gets Mismatch whatever the record's state, owner or
// lease, and the record is left as it was.
func mismatchCases() []testCase {
	tests := []struct {
		name string
		// setup puts key in a state with request "A" and returns its owner.
		setup func(t *testing.T, e *env, key store.Key) string
		// sameOwner claims with the record's own owner token.
		sameOwner bool
		takeOver  bool
	}{
		{name: "InProgress", setup: inProgress},
		{name: "InProgressSameOwner", setup: inProgress, sameOwner: true},
		{name: "InProgressTakeOver", setup: inProgress, takeOver: true},
		{name: "Abandoned", setup: abandoned},
		{name: "AbandonedTakeOver", setup: abandoned, takeOver: true},
		{name: "AbandonedSameOwner", setup: abandoned, sameOwner: true, takeOver: true},
		{name: "Completed", setup: func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, sampleResponse())
			return ""
		}},
		{name: "CompletedTakeOver", takeOver: true, setup: func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, sampleResponse())
			return ""
		}},
		{name: "NotReplayable", setup: func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, nil)
			return ""
		}},
		{name: "Failed", setup: func(t *testing.T, e *env, key store.Key) string {
			e.failed(t, key, http.StatusInternalServerError)
			return ""
		}},
	}
	cases := make([]testCase, 0, len(tests))
	for _, tc := range tests {
		cases = append(cases, testCase{tc.name, func(t *testing.T, e *env) {
			key := newKey()
			owner := tc.setup(t, e, key)
			before := e.get(t, key)
			if !tc.sameOwner {
				owner = newOwner()
			}
			req := request(key, "B", owner)
			req.TakeOver = tc.takeOver
			res := e.claimWant(t, req, store.Mismatch)
			if res.Response != nil {
				t.Errorf("Response: got %+v, want nil (never replay another request's response)", res.Response)
			}
			e.wantUnchanged(t, key, before)
		}})
	}
	return cases
}

func inProgress(t *testing.T, e *env, key store.Key) string {
	owner, _ := e.claimed(t, key)
	return owner
}

func abandoned(t *testing.T, e *env, key store.Key) string {
	owner, _ := e.claimed(t, key)
	e.advance(lease + past)
	return owner
}
