package redisstore_test

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// The benchmarks measure whole round trips to a real redis-server on
// loopback (the shared one), through a client made by NewClient: the cost
// the middleware pays per first request (claim + finish) and per replay
// (claim). Run them with
//
//	go test -run '^$' -bench . -benchmem ./store/redisstore/

// benchTTL keeps what the benchmarks write (tens of thousands of records
// on the shared server) for a minute, not for the tests' hour.
const benchTTL = time.Minute

// benchClaim is a claim of key for owner, kept for benchTTL.
func benchClaim(key store.Key, owner string) store.ClaimRequest {
	req := claimReq(key, owner)
	req.TTL = benchTTL
	return req
}

func benchStore(b *testing.B) *redisstore.Store {
	b.Helper()
	return newStore(b, newClient(b, "redis://"+redistest.Shared(b).Addr()), redisstore.Config{})
}

func benchResponse(size int) *store.Response {
	return &store.Response{
		Status: http.StatusCreated,
		Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/orders/8e03978e"}},
		Body:   []byte(strings.Repeat(`{"order_id":"8e03978e"}`, size/23+1)[:size]),
	}
}

// BenchmarkClaim: a claim of a fresh key (the first request's first trip).
func BenchmarkClaim(b *testing.B) {
	s := benchStore(b)
	scope := rand.Text()
	for i := 0; b.Loop(); i++ {
		req := benchClaim(store.Key{Scope: scope, ID: strconv.Itoa(i)}, "owner")
		if res, err := s.Claim(b.Context(), req); err != nil || res.Outcome != store.Claimed {
			b.Fatalf("Claim: %v %v", res.Outcome, err)
		}
	}
}

// BenchmarkFinish: finishing a claimed key with a 1 KiB and a 64 KiB
// response (the first request's second trip). The keys are claimed before
// b.Loop starts the timer, and again with the timer stopped.
func BenchmarkFinish(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			s := benchStore(b)
			scope := rand.Text()
			resp := benchResponse(size)
			const batch = 1 << 14
			for i := range batch {
				mustClaimB(b, s, benchClaim(store.Key{Scope: scope, ID: strconv.Itoa(i)}, "owner"))
			}
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if i == batch {
					b.StopTimer()
					scope, i = rand.Text(), 0
					for j := range batch {
						mustClaimB(b, s, benchClaim(store.Key{Scope: scope, ID: strconv.Itoa(j)}, "owner"))
					}
					b.StartTimer()
				}
				err := s.Finish(b.Context(), store.FinishRequest{Key: store.Key{Scope: scope, ID: strconv.Itoa(i)}, Owner: "owner",
					State: store.Completed, Status: resp.Status, Response: resp, TTL: benchTTL})
				if err != nil {
					b.Fatalf("Finish: %v", err)
				}
				i++
			}
		})
	}
}

// BenchmarkReplay: a claim that replays a stored response (a retry's only
// trip), serial and from parallel goroutines.
func BenchmarkReplay(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		s := benchStore(b)
		key := newKey()
		resp := benchResponse(size)
		mustClaimB(b, s, benchClaim(key, "owner"))
		if err := s.Finish(b.Context(), store.FinishRequest{Key: key, Owner: "owner", State: store.Completed, Status: resp.Status, Response: resp, TTL: benchTTL}); err != nil {
			b.Fatal(err)
		}
		name := strconv.Itoa(size>>10) + "KiB"
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if res, err := s.Claim(b.Context(), claimReq(key, "retry")); err != nil || res.Outcome != store.Replay {
					b.Fatalf("Claim: %v %v", res.Outcome, err)
				}
			}
		})
		b.Run(name+"Parallel", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if res, err := s.Claim(b.Context(), claimReq(key, "retry")); err != nil || res.Outcome != store.Replay {
						b.Errorf("Claim: %v %v", res.Outcome, err)
						return
					}
				}
			})
		})
	}
}

func mustClaimB(b *testing.B, s *redisstore.Store, req store.ClaimRequest) {
	b.Helper()
	if res, err := s.Claim(b.Context(), req); err != nil || res.Outcome != store.Claimed {
		b.Fatalf("Claim: %v %v", res.Outcome, err)
	}
}

// BenchmarkPing is the floor: one PING round trip on the same client.
func BenchmarkPing(b *testing.B) {
	s := benchStore(b)
	for b.Loop() {
		if err := s.Ping(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
