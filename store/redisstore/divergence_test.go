package redisstore_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestLateClaimAfterItsOwnReleaseDoesNotTakeTheKey (RELIABILITY.md D3): a
// claim that reaches Redis after its owner released it (it timed out, the
// client was told to retry with the same key) must not hold the key for an
// owner that is gone; a new owner's claim still takes it.
func TestLateClaimAfterItsOwnReleaseDoesNotTakeTheKey(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.Shared(t).Client(t), redisstore.Config{})
	key := newKey()
	if err := s.Release(t.Context(), key, "gone"); err == nil {
		t.Fatal("Release of an absent key: nil error, want ErrNotOwner")
	}
	mustClaim(t, s, claimReq(key, "gone"), store.Busy)
	if _, err := s.Get(t.Context(), key); err == nil {
		t.Fatal("the late claim left a record")
	}
	mustClaim(t, s, claimReq(key, "retry"), store.Claimed)
}

// TestOutOfMemoryRefusesClaimsAndFinishes (RELIABILITY.md D2): a Redis out
// of memory under noeviction refuses a new claim (the middleware answers
// 503 and runs nothing) and a finish (the record stays IN_PROGRESS until
// its lease ends), instead of writing past maxmemory.
func TestOutOfMemoryRefusesClaimsAndFinishes(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithMaxmemory("100mb", "noeviction"))
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{})
	inFlight, inFlightLarge := newKey(), newKey()
	mustClaim(t, s, claimReq(inFlight, "owner"), store.Claimed)
	mustClaim(t, s, claimReq(inFlightLarge, "owner"), store.Claimed)

	// Out of memory: maxmemory below what is used, as a full Redis is.
	info, err := c.Info(t.Context(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			used, _ = strconv.Atoi(v)
		}
	}
	if used == 0 {
		t.Fatalf("no used_memory in INFO memory:\n%s", info)
	}
	if err := c.ConfigSet(t.Context(), "maxmemory", strconv.Itoa(used/2)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(t.Context(), "plain", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "OOM") {
		t.Fatalf("a plain SET out of memory: %v, want OOM (the test's premise)", err)
	}

	if res, err := s.Claim(t.Context(), claimReq(newKey(), "new")); err == nil {
		t.Errorf("Claim out of memory: %v, nil error; want the OOM refusal", res.Outcome)
	}
	// A small response goes through the script, a large one is staged by
	// a SET of its own: both are refused.
	for key, resp := range map[store.Key]*store.Response{inFlight: sample(), inFlightLarge: largeResponse(64 << 10)} {
		err = s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: 201, Response: resp, TTL: ttl})
		if err == nil || !strings.Contains(err.Error(), "OOM") {
			t.Errorf("Finish of a %d-byte body out of memory: %v; want the OOM refusal", len(resp.Body), err)
		}
		if rec, err := s.Get(t.Context(), key); err != nil || rec.State != store.InProgress {
			t.Errorf("in-flight record after a refused finish of %d bytes: %v, %v; want IN_PROGRESS", len(resp.Body), rec.State, err)
		}
	}
	wantNoStaged(t, c, "")
}
