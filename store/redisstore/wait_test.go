package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// bound caps what a test waits for a Wait that should return; it is never
// a delay.
const bound = 10 * time.Second

// waitSetup is a store with a known prefix on the shared server, and a
// claimed key.
func waitSetup(t *testing.T, cfg redisstore.Config) (s *redisstore.Store, admin *redis.Client, key store.Key, channel string) {
	t.Helper()
	admin = redistest.Shared(t).Client(t)
	cfg.KeyPrefix = "idemwait:" + rand.Text() + ":"
	s = newStore(t, admin, cfg)
	key = newKey()
	mustClaim(t, s, claimReq(key, "owner"), store.Claimed)
	return s, admin, key, cfg.KeyPrefix + "{" + key.Scope + ":" + key.ID + "}"
}

// waitSubscribers polls PUBSUB NUMSUB until channel has n subscribers: a
// real condition on the server, polled under a bound.
func waitSubscribers(t *testing.T, admin *redis.Client, channel string, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := admin.PubSubNumSub(ctx, channel).Result()
		if err == nil && got[channel] == n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("PUBSUB NUMSUB %s: got %v (%v), want %d", channel, got, err, n)
		case <-tick.C:
		}
	}
}

func startWait(ctx context.Context, s store.Store, key store.Key) <-chan error {
	errs := make(chan error, 1)
	go func() { errs <- s.Wait(ctx, key) }()
	return errs
}

// wantBlocked returns once a Wait signals on blocked that it is blocked on
// its notification; it fails t if the Wait returns first.
func wantBlocked(t *testing.T, blocked <-chan struct{}, errs <-chan error) {
	t.Helper()
	select {
	case <-blocked:
	case err := <-errs:
		t.Fatalf("Wait returned %v, want it to block", err)
	case <-time.After(bound):
		t.Fatalf("Wait did not block within %v", bound)
	}
}

func wantWaitReturns(t *testing.T, errs <-chan error, want error) {
	t.Helper()
	select {
	case err := <-errs:
		if !errors.Is(err, want) {
			t.Fatalf("Wait: got %v, want %v", err, want)
		}
	case <-time.After(bound):
		t.Fatalf("Wait did not return within %v", bound)
	}
}

// TestWaitSurvivesSubscriptionLoss: the subscription connection is killed
// and the owner finishes at once, so the message may be lost; the waiter
// still returns, because a replaced subscription makes it recheck. It has
// a server of its own: it kills every subscription on it.
func TestWaitSurvivesSubscriptionLoss(t *testing.T) {
	t.Parallel()
	admin := redistest.Start(t).Client(t)
	s := newStore(t, admin, redisstore.Config{KeyPrefix: "idemwait:"})
	for i := range 3 {
		key := newKey()
		channel := "idemwait:{" + key.Scope + ":" + key.ID + "}"
		mustClaim(t, s, claimReq(key, "owner"), store.Claimed)
		errs := startWait(t.Context(), s, key)
		waitSubscribers(t, admin, channel, 1)
		n, err := admin.ClientKillByFilter(t.Context(), "TYPE", "pubsub").Result()
		if err != nil || n != 1 {
			t.Fatalf("CLIENT KILL TYPE pubsub: got %d, %v, want 1 killed", n, err)
		}
		if i == 2 {
			// Once, let the waiter resubscribe first: then the message is
			// what wakes it.
			waitSubscribers(t, admin, channel, 1)
		}
		if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "owner", State: store.Failed, Status: 500, TTL: ttl}); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		wantWaitReturns(t, errs, nil)
	}
}

// TestWaitTooManyWaiters: past MaxWaiters, Wait refuses at once.
func TestWaitTooManyWaiters(t *testing.T) {
	t.Parallel()
	s, admin, key, channel := waitSetup(t, redisstore.Config{MaxWaiters: 1})
	ctx, cancel := context.WithCancel(t.Context())
	errs := startWait(ctx, s, key)
	waitSubscribers(t, admin, channel, 1)
	if err := s.Wait(t.Context(), key); !errors.Is(err, redisstore.ErrTooManyWaiters) {
		t.Fatalf("second Wait: got %v, want ErrTooManyWaiters", err)
	}
	cancel()
	wantWaitReturns(t, errs, context.Canceled)
	// The waiter gone, its channel is unsubscribed.
	waitSubscribers(t, admin, channel, 0)
}

// TestWaitMaxWait: Wait gives up after MaxWait whatever its context says.
func TestWaitMaxWait(t *testing.T) {
	t.Parallel()
	s, _, key, _ := waitSetup(t, redisstore.Config{MaxWait: 50 * time.Millisecond})
	wantWaitReturns(t, startWait(context.Background(), s, key), context.DeadlineExceeded)
}

// TestWaitClose: Close wakes a pending Wait, and a Wait after Close fails.
func TestWaitClose(t *testing.T) {
	t.Parallel()
	s, admin, key, channel := waitSetup(t, redisstore.Config{})
	errs := startWait(t.Context(), s, key)
	waitSubscribers(t, admin, channel, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantWaitReturns(t, errs, nil)
	if err := s.Wait(t.Context(), key); !errors.Is(err, redisstore.ErrClosed) {
		t.Fatalf("Wait after Close: got %v, want ErrClosed", err)
	}
}

// TestWaitOnCluster: the finisher's PUBLISH reaches a waiter whose
// subscription may sit on another node. The owner finishes only once the
// waiter is blocked, so only the message can wake it.
func TestWaitOnCluster(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.SharedCluster(t).Client(t), redisstore.Config{})
	for range 3 {
		key := newKey()
		mustClaim(t, s, claimReq(key, "owner"), store.Claimed)
		blocked := s.WaitBlocked(key)
		errs := startWait(t.Context(), s, key)
		wantBlocked(t, blocked, errs)
		if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		wantWaitReturns(t, errs, nil)
	}
}

// TestWaitAcrossServerRestart: the server (with AOF) dies and comes back
// while a Wait blocks; the subscription is replaced, the waiter looks
// again, finds the record still IN_PROGRESS, and returns when the owner
// finishes.
func TestWaitAcrossServerRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithAOF())
	admin := srv.Client(t)
	s := newStore(t, newClient(t, "redis://"+srv.Addr()), redisstore.Config{KeyPrefix: "idemwait:"})
	key := newKey()
	channel := "idemwait:{" + key.Scope + ":" + key.ID + "}"
	mustClaim(t, s, claimReq(key, "owner"), store.Claimed)
	blocked := s.WaitBlocked(key)
	errs := startWait(t.Context(), s, key)
	// Blocked, not merely subscribed: a look at the record that the kill
	// cut short would fail the Wait.
	wantBlocked(t, blocked, errs)

	srv.Kill()
	srv.Restart()
	waitSubscribers(t, admin, channel, 1) // resubscribed on its own
	select {
	case err := <-errs:
		t.Fatalf("Wait returned %v across the restart, want it to go on blocking", err)
	default:
	}
	if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	wantWaitReturns(t, errs, nil)
}
