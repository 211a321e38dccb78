package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestClaimRunAfterItsDeadlineTakesNothing: a claim that sits in a stalled
// Redis's socket past its caller's deadline (the caller answered its client
// "not run, retry") runs when Redis wakes, and must take nothing: nobody
// would ever finish or renew it, and the key would answer "abandoned" for
// its whole ttl although nothing ran. No release is sent here: the
// deadline alone must hold.
func TestClaimRunAfterItsDeadlineTakesNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{})
	mustClaim(t, s, claimReq(newKey(), "warm-up"), store.Claimed) // the store learns the server's clock
	before := scriptCalls(t, c)

	key := newKey()
	srv.Pause()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	_, err := s.Claim(ctx, claimReq(key, "gone"))
	cancel()
	if err == nil {
		srv.Resume()
		t.Fatal("Claim on a paused server: nil error")
	}
	srv.Resume()

	// The late claim has run once the server counts it.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); scriptCalls(t, c) < before+1; <-tick.C {
		if time.Now().After(deadline) {
			t.Fatal("the queued claim never ran")
		}
	}
	if rec, err := s.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after the late claim ran: %v %v, want no record", rec.State, err)
	}
	mustClaim(t, s, claimReq(key, "retry"), store.Claimed)
}

// scriptCalls is how many EVALSHA and EVAL calls the server has run.
func scriptCalls(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.SplitSeq(info, "\r\n") {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(line, cmd); ok {
				v, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
				n += v
			}
		}
	}
	return n
}

// TestClaimRefusedAsLateWhileItsCallerWaits: when the store's estimate of
// the server's clock is wrong (the server's clock jumped forward), every
// deadline it converts is early and a claim run in time is refused as
// late. A refusal while the caller still waits proves the estimate wrong:
// the claim must be sent once more with a fresh one and be Claimed, and
// the next claim must need one script only.
func TestClaimRefusedAsLateWhileItsCallerWaits(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{})
	mustClaim(t, s, claimReq(newKey(), "warm-up"), store.Claimed) // the store learns the server's clock
	s.SkewClockEstimate(time.Hour)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	before := scriptCalls(t, c)
	if res, err := s.Claim(ctx, claimReq(newKey(), "in time")); err != nil || res.Outcome != store.Claimed {
		t.Fatalf("Claim with a skewed estimate = %v, %v; want Claimed", res.Outcome, err)
	}
	if got := scriptCalls(t, c) - before; got != 2 {
		t.Errorf("the claim ran %d scripts, want 2 (refused, then sent again)", got)
	}
	before = scriptCalls(t, c)
	if res, err := s.Claim(ctx, claimReq(newKey(), "next")); err != nil || res.Outcome != store.Claimed {
		t.Fatalf("next Claim = %v, %v; want Claimed", res.Outcome, err)
	}
	if got := scriptCalls(t, c) - before; got != 1 {
		t.Errorf("the next claim ran %d scripts, want 1: the estimate is still wrong", got)
	}
}
