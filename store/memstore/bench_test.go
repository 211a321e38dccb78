package memstore_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// benchKeys is a ring of distinct keys, made once so that building keys is
// not what the benchmarks measure.
var benchKeys = func() []store.Key {
	keys := make([]store.Key, 1<<16)
	for i := range keys {
		keys[i] = store.Key{Scope: "bench", ID: strconv.Itoa(i)}
	}
	return keys
}()

// benchResponse is a typical small JSON reply: four headers, 1 KiB body.
func benchResponse() *store.Response {
	return &store.Response{
		Status: http.StatusCreated,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Location":     {"/orders/8e03978e-0000-4000-8000-000000000000"},
			"Vary":         {"Accept", "Authorization"},
			"X-Request-Id": {"b1946ac92492d2347c6235b4d2611184"},
		},
		Body: bytes.Repeat([]byte("x"), 1024),
	}
}

// benchStore returns a store whose clock moves a record's TTL forward on
// every tick, so that a key comes round again only long after its record
// expired: the store holds a steady population, as a proxy's does, instead
// of growing with b.N.
func benchStore(b *testing.B) (*memstore.Store, func()) {
	clock := new(fakeClock)
	s := newStore(b, memstore.Config{Now: clock.Now})
	return s, func() { clock.Advance(time.Millisecond) }
}

// With benchStore's clock, a claim holds its key for claimTTL (16384 ticks),
// so that a goroutine preempted between Claim and Finish still owns its
// record; a finished record is kept for finishTTL (1000 ticks). Both are
// fewer than the ring of keys, so a key's record has expired when the key
// comes round again.
const (
	claimTTL  = 1 << 14 * time.Millisecond
	finishTTL = time.Second
)

// claimFinish is the first-request path: claim, then finish with a response.
// It returns an error rather than failing b, since RunParallel's goroutines
// must not call b.Fatal.
func claimFinish(b *testing.B, s *memstore.Store, key store.Key, resp *store.Response) error {
	ctx := b.Context()
	res, err := s.Claim(ctx, store.ClaimRequest{Key: key, Owner: "owner", Lease: claimTTL, TTL: claimTTL})
	if err != nil || res.Outcome != store.Claimed {
		return fmt.Errorf("Claim: got (%v, %v), want claimed", res.Outcome, err)
	}
	return s.Finish(ctx, store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: resp.Status, Response: resp, TTL: finishTTL})
}

func BenchmarkClaimFinish(b *testing.B) {
	s, tick := benchStore(b)
	resp := benchResponse()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tick()
		if err := claimFinish(b, s, benchKeys[i%len(benchKeys)], resp); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkClaimFinishParallel(b *testing.B) {
	s, tick := benchStore(b)
	resp := benchResponse()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tick()
			if err := claimFinish(b, s, benchKeys[next.Add(1)%int64(len(benchKeys))], resp); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// replayStore returns a store holding one COMPLETED record and a request
// that replays it.
func replayStore(b *testing.B) (*memstore.Store, store.ClaimRequest) {
	s := newStore(b, memstore.Config{})
	req := store.ClaimRequest{Key: benchKeys[0], Owner: "first", Lease: time.Minute, TTL: time.Hour}
	claimFinishAt(b, s, req, benchResponse())
	req.Owner = "retry"
	return s, req
}

func claimFinishAt(b *testing.B, s *memstore.Store, req store.ClaimRequest, resp *store.Response) {
	if _, err := s.Claim(b.Context(), req); err != nil {
		b.Fatal(err)
	}
	err := s.Finish(b.Context(), store.FinishRequest{Key: req.Key, Owner: req.Owner, State: store.Completed, Status: resp.Status, Response: resp, TTL: req.TTL})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkClaimReplay(b *testing.B) {
	s, req := replayStore(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Claim(b.Context(), req)
		if err != nil || res.Outcome != store.Replay {
			b.Fatalf("Claim: got (%v, %v), want replay", res.Outcome, err)
		}
	}
}

func BenchmarkClaimReplayParallel(b *testing.B) {
	s, req := replayStore(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := s.Claim(b.Context(), req)
			if err != nil || res.Outcome != store.Replay {
				b.Errorf("Claim: got (%v, %v), want replay", res.Outcome, err)
				return
			}
		}
	})
}
