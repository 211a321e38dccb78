package redisstore_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
	"github.com/idemproxy/idemproxy/store/storetest"
)

// harness makes stores on client, each with a key prefix of its own and its
// own clock, as storetest asks.
func harness(client redisstore.Client) storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T) (store.Store, func(time.Duration)) {
			s := newStore(t, client, redisstore.Config{})
			return s, s.AdvanceClock
		},
		WaitBlocked: func(_ *testing.T, s store.Store, key store.Key) <-chan struct{} {
			return s.(*redisstore.Store).WaitBlocked(key)
		},
	}
}

// newStore returns a store on client, with a unique key prefix unless cfg
// sets one, closed when t ends.
func newStore(t testing.TB, client redisstore.Client, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "idemtest:" + rand.Text() + ":"
	}
	s, err := redisstore.New(client, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The conformance runs use clients made the production way, from a URL by
// ParseURL and NewClient.

func TestConformanceStandalone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, harness(newClient(t, "redis://"+redistest.Shared(t).Addr())))
}

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	addrs := redistest.SharedCluster(t).Addrs()
	storetest.Run(t, harness(newClient(t, "redis+cluster://"+strings.Join(addrs, ","))))
}

func TestConformanceSentinel(t *testing.T) {
	t.Parallel()
	sentinels := redistest.StartSentinel(t).SentinelAddrs()
	storetest.Run(t, harness(newClient(t, "redis+sentinel://"+strings.Join(sentinels, ",")+"/"+redistest.MasterName)))
}

// TestConformancePlainClient: a *redis.Client the caller configured itself
// fits the Client interface as well.
func TestConformancePlainClient(t *testing.T) {
	t.Parallel()
	storetest.Run(t, harness(redistest.Shared(t).Client(t)))
}
