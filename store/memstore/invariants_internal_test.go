package memstore

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store"
)

// TestIndexesStayConsistent runs random operations on a small store and
// checks after each that the expiry heap and the finished list index
// exactly the records of the map, in order, and that the byte count is the
// sum of the stored responses.
func TestIndexesStayConsistent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := New(Config{MaxRecords: 8, MinAge: time.Second, Now: func() time.Time { return now }, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	keys := make([]store.Key, 12)
	for i := range keys {
		keys[i] = store.Key{Scope: "s", ID: strconv.Itoa(i)}
	}
	owner := func(k store.Key) string { return "o" + k.ID }
	for i := range 20_000 {
		k := keys[rng.IntN(len(keys))]
		ttl := time.Duration(1+rng.IntN(30)) * time.Second
		switch op := rng.IntN(7); op {
		case 0, 1:
			_, _ = s.Claim(ctx, store.ClaimRequest{Key: k, Owner: owner(k), Lease: time.Second, TTL: ttl, TakeOver: rng.IntN(2) == 0})
		case 2:
			resp := &store.Response{Status: http.StatusOK, Body: make([]byte, rng.IntN(64))}
			_ = s.Finish(ctx, store.FinishRequest{Key: k, Owner: owner(k), State: store.State(2 + rng.IntN(2)), Status: 200, Response: resp, TTL: ttl})
		case 3:
			_ = s.Release(ctx, k, owner(k))
		case 4:
			_ = s.Renew(ctx, k, owner(k), time.Duration(1+rng.IntN(60))*time.Second)
		case 5:
			_ = s.Delete(ctx, k)
		case 6:
			now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		if msg := s.inconsistency(); msg != "" {
			t.Fatalf("after operation %d: %s", i, msg)
		}
	}
	// The run went through both ends of a full store.
	if n := testutil.ToFloat64(s.metrics.evictions); n == 0 {
		t.Error("no eviction happened: the run did not fill the store")
	}
	if n := testutil.ToFloat64(s.metrics.refusals); n == 0 {
		t.Error("no claim was refused: the run never found the store full of unforgettable records")
	}
}

// inconsistency describes how the indexes disagree with the map, or
// returns "".
func (s *Store) inconsistency() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byExpiry) != len(s.records) {
		return "heap holds " + strconv.Itoa(len(s.byExpiry)) + " records, the map " + strconv.Itoa(len(s.records))
	}
	for i, r := range s.byExpiry {
		if r.heapIndex != i || s.records[r.key] != r {
			return "heap entry " + strconv.Itoa(i) + " is misplaced or not in the map"
		}
		if parent := (i - 1) / 2; i > 0 && r.expiresAt.Before(s.byExpiry[parent].expiresAt) {
			return "heap order broken at " + strconv.Itoa(i)
		}
	}
	finished, bytes := 0, int64(0)
	for _, r := range s.records {
		if r.state != store.InProgress {
			finished++
		}
		bytes += r.size
	}
	listed := 0
	for r := s.finished.oldest; r != nil; r = r.next {
		listed++
		if r.state == store.InProgress || s.records[r.key] != r {
			return "the finished list holds a record in progress or not in the map"
		}
		if r.next != nil && r.next.finishedAt.Before(r.finishedAt) {
			return "the finished list is out of order"
		}
		if r.next == nil && s.finished.newest != r {
			return "the finished list's newest is not its last"
		}
	}
	switch {
	case listed != finished:
		return "the finished list holds " + strconv.Itoa(listed) + " records, the map " + strconv.Itoa(finished) + " finished ones"
	case bytes != s.bytes:
		return "bytes is " + strconv.FormatInt(s.bytes, 10) + ", the responses hold " + strconv.FormatInt(bytes, 10)
	}
	return ""
}
