package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
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

// ackEnd returns the length of data up to the end of its first SUBSCRIBE
// acknowledgement (subscribe, channel, count), or 0 when data holds none.
func ackEnd(data []byte) int {
	i := bytes.Index(data, []byte("subscribe\r\n"))
	if i < 0 {
		return 0
	}
	j := bytes.Index(data[i:], []byte("\r\n:"))
	if j < 0 {
		return 0
	}
	k := bytes.Index(data[i+j+3:], []byte("\r\n"))
	if k < 0 {
		return 0
	}
	return i + j + 3 + k + 2
}

// TestWaitBacksOffWhenSubscriptionDiesAfterAck: a server that closes the
// subscription connection right after acknowledging the SUBSCRIBE (before
// the barrier's PONG) gets new connections at the backoff's pace, not at
// full speed: the 6th attempt comes after 0+50+100+200+400 ms at least.
// Each attempt costs at most two connections (go-redis's PubSub redials
// once by itself when its read fails), so 12 connections take that long.
func TestWaitBacksOffWhenSubscriptionDiesAfterAck(t *testing.T) {
	t.Parallel()
	proxy, err := faultproxy.Start(redistest.Shared(t).Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	proxy.SetFilter(func(c faultproxy.Chunk) faultproxy.Decision {
		if n := ackEnd(c.Data); c.Dir == faultproxy.ToClient && n > 0 {
			return faultproxy.Decision{Verdict: faultproxy.Close, Forward: n}
		}
		return faultproxy.Decision{}
	})
	sub := redis.NewClient(&redis.Options{Addr: proxy.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = sub.Close() })
	s := newStore(t, splitSubscribe{Client: redistest.Shared(t).Client(t), sub: sub}, redisstore.Config{})
	key := newKey()
	mustClaim(t, s, claimReq(key, "owner"), store.Claimed)

	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	start := time.Now()
	errs := startWait(ctx, s, key)
	const conns, atLeast = 12, 750 * time.Millisecond
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for proxy.Accepted() < conns {
		select {
		case <-tick.C:
		case err := <-errs:
			t.Fatalf("Wait returned %v, want it to go on waiting", err)
		case <-ctx.Done():
			t.Fatalf("%d subscription connections within %v, want %d", proxy.Accepted(), bound, conns)
		}
	}
	if took := time.Since(start); took < atLeast {
		t.Errorf("%d subscription connections within %v, want them paced over at least %v", proxy.Accepted(), took, atLeast)
	}
	cancel()
	wantWaitReturns(t, errs, context.Canceled)
}
