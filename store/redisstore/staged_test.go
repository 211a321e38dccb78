package redisstore_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// largeResponse is a response too large for the record's chunks, of
// random (incompressible) bytes.
func largeResponse(n int) *store.Response {
	body := make([]byte, n)
	_, _ = rand.Read(body)
	return &store.Response{Status: http.StatusCreated, Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: body}
}

// completed claims key for owner and finishes it COMPLETED with resp.
func completed(t *testing.T, s store.Store, key store.Key, owner string, resp *store.Response) {
	t.Helper()
	mustClaim(t, s, claimReq(key, owner), store.Claimed)
	if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: resp.Status, Response: resp, TTL: ttl}); err != nil {
		t.Fatalf("Finish of %d bytes: %v", len(resp.Body), err)
	}
}

// wantReplay fails t unless a claim of key replays want's body.
func wantReplay(t *testing.T, s store.Store, key store.Key, want *store.Response) {
	t.Helper()
	if res := mustClaim(t, s, claimReq(key, "retry"), store.Replay); !bytes.Equal(res.Response.Body, want.Body) {
		t.Errorf("replayed %d bytes, want the %d finished", len(res.Response.Body), len(want.Body))
	}
}

// wantNoStaged fails t when a staged response (<prefix>...}:b:<nonce>) is
// left on c's server under prefix ("" for any prefix): a staged copy that
// no script consumed is memory nobody reads.
func wantNoStaged(t *testing.T, c redis.UniversalClient, prefix string) {
	t.Helper()
	keys, err := c.Keys(t.Context(), prefix+"*}:b:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Errorf("staged responses left behind: %q", keys)
	}
}

// TestLargeResponseLivesAndDiesWithItsRecord: a response too large for
// the record's chunks is kept beside it and goes with it: the record stays
// compact, the response expires with it, and a delete or a claim of the
// key after the record expired leaves nothing of the old response. Never
// a staged copy left over.
func TestLargeResponseLivesAndDiesWithItsRecord(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{KeyPrefix: "idem:"})
	ctx := t.Context()
	key := newKey()
	name := "idem:{" + key.Scope + ":" + key.ID + "}"
	finish := func(owner string, resp *store.Response) { t.Helper(); completed(t, s, key, owner, resp) }
	replays := func(want *store.Response) {
		t.Helper()
		wantReplay(t, s, key, want)
		rec, err := s.Get(ctx, key)
		if err != nil || rec.Response == nil || !bytes.Equal(rec.Response.Body, want.Body) {
			t.Errorf("Get: %v; want the %d bytes finished", err, len(want.Body))
		}
	}
	responseKeys := func() int {
		t.Helper()
		n, err := c.Exists(ctx, name+":b").Result()
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}

	large := largeResponse(256 << 10)
	finish("owner-1", large)
	replays(large)
	if n := c.MemoryUsage(ctx, name).Val(); n > 400 {
		t.Errorf("MEMORY USAGE of the record of a %d-byte response: %d bytes, want at most 400 (the response is beside it)", len(large.Body), n)
	}
	if recTTL, respTTL := c.PTTL(ctx, name).Val(), c.PTTL(ctx, name+":b").Val(); respTTL <= 0 || recTTL-respTTL > time.Second || respTTL-recTTL > time.Second {
		t.Errorf("PTTL: record %v, response %v; want the response to expire with its record", recTTL, respTTL)
	}

	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if responseKeys() != 0 {
		t.Error("a deleted record's response is still there")
	}

	// Expired, claimed anew: the old response goes at the claim, and the
	// new small one replays.
	finish("owner-2", large)
	s.AdvanceClock(ttl + time.Minute)
	small := sample()
	finish("owner-3", small)
	if responseKeys() != 0 {
		t.Error("the expired record's response outlived the claim that replaced it")
	}
	replays(small)

	// And a large response after a small one.
	s.AdvanceClock(ttl + time.Minute)
	finish("owner-4", large)
	replays(large)
	wantNoStaged(t, c, "")
}

// TestFencedOutLargeFinishChangesNothing: a former owner finishing with a
// large response (its staged copy is written before the script checks the
// fence) neither replaces the response nor leaves its copy.
func TestFencedOutLargeFinishChangesNothing(t *testing.T) {
	t.Parallel()
	c := redistest.Shared(t).Client(t)
	prefix := "idemtest:" + rand.Text() + ":"
	s := newStore(t, c, redisstore.Config{KeyPrefix: prefix})
	ctx := t.Context()
	key := newKey()
	first := largeResponse(64 << 10)
	completed(t, s, key, "owner", first)
	for _, owner := range []string{"owner", "someone-else"} {
		err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: 201, Response: largeResponse(64 << 10), TTL: ttl})
		if !errors.Is(err, store.ErrNotOwner) {
			t.Errorf("a second large Finish by %s: %v, want ErrNotOwner", owner, err)
		}
	}
	// In progress under another owner: a stale owner's large finish.
	other := newKey()
	mustClaim(t, s, claimReq(other, "current"), store.Claimed)
	if err := s.Finish(ctx, store.FinishRequest{Key: other, Owner: "stale", State: store.Completed, Status: 201, Response: largeResponse(64 << 10), TTL: ttl}); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("a stale owner's large Finish: %v, want ErrNotOwner", err)
	}
	if rec, err := s.Get(ctx, other); err != nil || rec.State != store.InProgress || rec.Owner != "current" {
		t.Errorf("the record after a stale owner's Finish: %+v, %v; want IN_PROGRESS by current", rec, err)
	}
	wantReplay(t, s, key, first)
	wantNoStaged(t, c, prefix)
}

// TestLargeFinishOnAServerWithoutTheScript: after a restart or failover
// the server knows no script; a large finish (SET and EVALSHA in one
// pipeline) sends the script in full and still stages its response.
func TestLargeFinishOnAServerWithoutTheScript(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{KeyPrefix: "idem:"})
	ctx := t.Context()
	key := newKey()
	mustClaim(t, s, claimReq(key, "owner"), store.Claimed)
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	resp := largeResponse(64 << 10)
	if err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: resp.Status, Response: resp, TTL: ttl}); err != nil {
		t.Fatalf("Finish after SCRIPT FLUSH: %v", err)
	}
	if n := c.Exists(ctx, "idem:{"+key.Scope+":"+key.ID+"}:b").Val(); n != 1 {
		t.Errorf("the response key after a finish that reloaded the script: %d keys, want 1 (staged, not an argument)", n)
	}
	wantReplay(t, s, key, resp)
	wantNoStaged(t, c, "")
}
