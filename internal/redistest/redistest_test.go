package redistest_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func TestSharedIsShared(t *testing.T) {
	t.Parallel()
	a, b := redistest.Shared(t), redistest.Shared(t)
	if a != b {
		t.Fatalf("Shared: got two servers %s and %s, want one per test binary", a.Addr(), b.Addr())
	}
	if err := a.Client(t).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING: got error %v, want nil", err)
	}
}

func TestUnixSocket(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t, redistest.WithUnixSocket())
	if err := s.Client(t).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING over %s: got error %v, want nil", s.Addr(), err)
	}
}

func TestKillRestartKeepsAOF(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t, redistest.WithAOF())
	c := s.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	s.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatalf("PING after Kill: got nil, want an error")
	}
	s.Restart()
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after Restart: got %q, %v, want \"v\", nil", got, err)
	}
}

func TestMaxmemoryOption(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t, redistest.WithMaxmemory("16mb", "allkeys-lru"))
	got, err := s.Client(t).ConfigGet(t.Context(), "maxmemory-policy").Result()
	if err != nil || got["maxmemory-policy"] != "allkeys-lru" {
		t.Fatalf("CONFIG GET maxmemory-policy: got %v, %v, want allkeys-lru", got, err)
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	if n := len(c.Addrs()); n != 3 {
		t.Fatalf("Addrs: got %d, want 3", n)
	}
	client := c.Client(t)
	ctx := t.Context()
	// Keys in many slots: every master serves some.
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if err := client.Set(ctx, "redistest:"+k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	var masters atomic.Int32 // ForEachMaster calls fn concurrently
	err := client.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		masters.Add(1)
		return m.Ping(ctx).Err()
	})
	if err != nil || masters.Load() != 3 {
		t.Fatalf("ForEachMaster: got %d masters, %v, want 3, nil", masters.Load(), err)
	}
}

func TestSentinel(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	c := s.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel: %v", err)
	}
	if got, err := s.Master().Client(t).Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET on the master: got %q, %v, want \"v\", nil", got, err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t, redistest.WithTLS())
	if err := s.Client(t).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING over TLS: got error %v, want nil", err)
	}
	plain := s.Options()
	plain.TLSConfig = nil
	plain.MaxRetries = -1
	c := redis.NewClient(plain)
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err == nil {
		t.Fatalf("PING without TLS: got nil, want an error")
	}
}
