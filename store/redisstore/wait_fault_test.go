package redisstore_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// splitSubscribe runs scripts on one client and opens subscriptions on
// another, so that a test can break the subscription connection alone.
type splitSubscribe struct {
	*redis.Client
	sub *redis.Client
}

func (c splitSubscribe) Subscribe(ctx context.Context, channels ...string) *redis.PubSub {
	return c.sub.Subscribe(ctx, channels...)
}

// blackhole listens on a free loopback port, accepts connections and never
// answers: a dial succeeds, the handshake hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// TestWaitReturnsByContextWhileSubscriptionHangs: with the subscription
// connection's handshake hanging (long client timeouts), Waits still
// return by their own short contexts, all of them, not one after another.
func TestWaitReturnsByContextWhileSubscriptionHangs(t *testing.T) {
	t.Parallel()
	sub := redis.NewClient(&redis.Options{Addr: blackhole(t), DialTimeout: 10 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = sub.Close() })
	s := newStore(t, splitSubscribe{Client: redistest.Shared(t).Client(t), sub: sub}, redisstore.Config{})
	key := newKey()
	mustClaim(t, s, claimReq(key, "owner"), store.Claimed)

	const waits, timeout, slow = 10, 100 * time.Millisecond, time.Second
	type result struct {
		err  error
		took time.Duration
	}
	results := make(chan result, waits)
	for range waits {
		go func() {
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			start := time.Now()
			err := s.Wait(ctx, key)
			results <- result{err, time.Since(start)}
		}()
	}
	for range waits {
		r := <-results
		if !errors.Is(r.err, context.DeadlineExceeded) || r.took > slow {
			t.Errorf("Wait: got %v after %v, want context.DeadlineExceeded after about %v", r.err, r.took, timeout)
		}
	}
}
