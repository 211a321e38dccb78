package memstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// fullStore returns a store of the default size holding as many finished
// records as it may, finished one tick apart, each kept for ttl; the
// clock is at the last finish. tick moves it one tick on.
func fullStore(b *testing.B, ttl time.Duration) (s *memstore.Store, tick func()) {
	b.Helper()
	clock := new(fakeClock)
	s = newStore(b, memstore.Config{Now: clock.Now})
	resp := benchResponse()
	for i := range memstore.DefaultMaxRecords {
		clock.Advance(time.Millisecond)
		claimFinishAt(b, s, store.ClaimRequest{Key: store.Key{Scope: "full", ID: strconv.Itoa(i)}, Owner: "o", Lease: time.Minute, TTL: ttl}, resp)
	}
	return s, func() { clock.Advance(time.Millisecond) }
}

// fullKeys are new keys for the full-store benchmarks, made before the
// timer starts.
func fullKeys(n int) []store.Key {
	keys := make([]store.Key, n)
	for i := range keys {
		keys[i] = store.Key{Scope: "new", ID: strconv.Itoa(i)}
	}
	return keys
}

// BenchmarkClaimFullEvicting: every claim of a new key finds the store
// full of live finished records and evicts the oldest.
func BenchmarkClaimFullEvicting(b *testing.B) {
	const ttl = 24 * time.Hour
	s, tick := fullStore(b, ttl)
	benchFull(b, s, tick, ttl)
}

// BenchmarkClaimFullExpiring: the store is full and one record expires per
// tick, so that every claim of a new key finds exactly one expired record
// to drop (records arrive as fast as they expire: a store sized just right).
func BenchmarkClaimFullExpiring(b *testing.B) {
	const ttl = memstore.DefaultMaxRecords * time.Millisecond
	s, tick := fullStore(b, ttl)
	benchFull(b, s, tick, ttl)
}

// benchFull claims and finishes a new key per tick, kept for ttl.
func benchFull(b *testing.B, s *memstore.Store, tick func(), ttl time.Duration) {
	keys := fullKeys(b.N)
	resp := benchResponse()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tick()
		claimFinishAt(b, s, store.ClaimRequest{Key: keys[i], Owner: "o", Lease: time.Minute, TTL: ttl}, resp)
	}
}
