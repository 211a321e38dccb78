package storetest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// recordCases: what Get returns, Delete (ErrNotFound without a record),
// and that stored responses cannot be changed through the values passed in
// or handed out.
func recordCases() []testCase {
	return []testCase{
		{"GetAbsent", func(t *testing.T, e *env) { e.wantNotFound(t, newKey()) }},
		{"GetInProgress", func(t *testing.T, e *env) {
			key := newKey()
			owner, version := e.claimed(t, key)
			rec := e.get(t, key)
			want := store.Record{State: store.InProgress, Fingerprint: fingerprint("A"), Owner: owner, Version: version,
				LeaseUntil: rec.LeaseUntil, ExpiresAt: rec.ExpiresAt}
			if d := diffRecord(rec, want); d != "" {
				t.Errorf("Get: %s", d)
			}
			if rec.LeaseUntil.IsZero() {
				t.Errorf("LeaseUntil: got zero, want the lease deadline")
			}
			if got := rec.ExpiresAt.Sub(rec.LeaseUntil); !near(got, ttl-lease) {
				t.Errorf("ExpiresAt - LeaseUntil: got %v, want %v ± %v", got, ttl-lease, slack)
			}
		}},
		{"GetCompleted", func(t *testing.T, e *env) {
			key := newKey()
			owner, version := e.claimed(t, key)
			claimedRec := e.get(t, key)
			step := lease / 2
			e.advance(step)
			resp := sampleResponse()
			finishTTL := 2 * ttl
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: resp.Status, Response: resp, TTL: finishTTL})
			rec := e.get(t, key)
			want := store.Record{State: store.Completed, Fingerprint: fingerprint("A"), Version: version,
				ExpiresAt: rec.ExpiresAt, Status: resp.Status, Response: resp}
			if d := diffRecord(rec, want); d != "" {
				t.Errorf("Get: %s", d)
			}
			// The claim happened lease before its LeaseUntil; the finish step
			// later, and it keeps the record for finishTTL from then.
			if got, want := rec.ExpiresAt.Sub(claimedRec.LeaseUntil), step+finishTTL-lease; !near(got, want) {
				t.Errorf("ExpiresAt - claim's LeaseUntil: got %v, want %v ± %v", got, want, slack)
			}
		}},
		{"GetNotReplayable", func(t *testing.T, e *env) {
			key := newKey()
			owner, version := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, TTL: ttl})
			rec := e.get(t, key)
			want := store.Record{State: store.Completed, Fingerprint: fingerprint("A"), Version: version,
				ExpiresAt: rec.ExpiresAt, Status: http.StatusOK}
			if d := diffRecord(rec, want); d != "" {
				t.Errorf("Get: %s", d)
			}
		}},
		{"GetFailed", func(t *testing.T, e *env) {
			key := newKey()
			owner, version := e.claimed(t, key)
			e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: http.StatusPaymentRequired, TTL: ttl})
			rec := e.get(t, key)
			want := store.Record{State: store.Failed, Fingerprint: fingerprint("A"), Version: version,
				ExpiresAt: rec.ExpiresAt, Status: http.StatusPaymentRequired}
			if d := diffRecord(rec, want); d != "" {
				t.Errorf("Get: %s", d)
			}
			if rec.ExpiresAt.IsZero() {
				t.Errorf("ExpiresAt: got zero, want the expiry")
			}
		}},
		{"DeleteInProgress", deleteCase(inProgress)},
		{"DeleteAbandoned", deleteCase(abandoned)},
		{"DeleteCompleted", deleteCase(func(t *testing.T, e *env, key store.Key) string {
			e.completed(t, key, sampleResponse())
			return ""
		})},
		{"DeleteFailed", deleteCase(func(t *testing.T, e *env, key store.Key) string {
			e.failed(t, key, http.StatusConflict)
			return ""
		})},
		{"DeleteAbsent", deleteAbsentCase(func(*testing.T, *env, store.Key) {})},
		{"DeleteDeleted", deleteAbsentCase(func(t *testing.T, e *env, key store.Key) {
			e.completed(t, key, sampleResponse())
			if err := e.s.Delete(t.Context(), key); err != nil {
				t.Fatalf("first Delete: got error %v, want nil", err)
			}
		})},
		{"DeleteReleased", deleteAbsentCase(func(t *testing.T, e *env, key store.Key) {
			owner, _ := e.claimed(t, key)
			if err := e.s.Release(t.Context(), key, owner); err != nil {
				t.Fatalf("Release: got error %v, want nil", err)
			}
		})},
		{"DeleteExpired", deleteAbsentCase(func(t *testing.T, e *env, key store.Key) {
			e.completed(t, key, sampleResponse())
			e.advance(ttl + past)
		})},
		{"ResponsesAreCopied", copiedCase},
	}
}

// deleteCase: Delete removes the record whatever its state; the key is then
// free for any request.
func deleteCase(setup func(t *testing.T, e *env, key store.Key) string) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		key := newKey()
		setup(t, e, key)
		if err := e.s.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete: got error %v, want nil", err)
		}
		e.wantNotFound(t, key)
		e.claimWant(t, request(key, "B", newOwner()), store.Claimed)
	}
}

// deleteAbsentCase: Delete of a key with no record, once setup has left
// it so (never written, deleted, released, expired), is ErrNotFound, as
// often as it is asked, and leaves the key free for any request.
func deleteAbsentCase(setup func(t *testing.T, e *env, key store.Key)) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		key := newKey()
		setup(t, e, key)
		for i := range 2 {
			wantErrIs(t, fmt.Sprintf("Delete %d of a key with no record", i+1), e.s.Delete(t.Context(), key), store.ErrNotFound)
		}
		e.wantNotFound(t, key)
		e.claimWant(t, request(key, "B", newOwner()), store.Claimed)
	}
}

// copiedCase: a caller that changes a Response after Finish, or one it got
// from Claim or Get, does not change what the store replays.
func copiedCase(t *testing.T, e *env) {
	key := newKey()
	owner, _ := e.claimed(t, key)
	in := sampleResponse()
	e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: in.Status, Response: in, TTL: ttl})
	mutate(in)

	res := e.claimWant(t, request(key, "A", newOwner()), store.Replay)
	if d := diffResponse(res.Response, sampleResponse()); d != "" {
		t.Fatalf("after changing Finish's response: %s", d)
	}
	mutate(res.Response)

	rec := e.get(t, key)
	if d := diffResponse(rec.Response, sampleResponse()); d != "" {
		t.Fatalf("after changing Claim's response: %s", d)
	}
	mutate(rec.Response)

	res = e.claimWant(t, request(key, "A", newOwner()), store.Replay)
	if d := diffResponse(res.Response, sampleResponse()); d != "" {
		t.Fatalf("after changing Get's response: %s", d)
	}
}

// mutate changes r in place in every way a careless caller might.
func mutate(r *store.Response) {
	r.Status = http.StatusTeapot
	r.Body[0] ^= 0xff
	r.Header["Vary"][0] = "Cookie"
	r.Header.Add("Vary", "Origin")
	r.Header.Set("X-Added", "1")
}
