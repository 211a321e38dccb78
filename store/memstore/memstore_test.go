package memstore_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
	"github.com/idemproxy/idemproxy/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{New: func(t *testing.T) (store.Store, func(time.Duration)) {
		clock := new(fakeClock)
		return newStore(t, memstore.Config{Now: clock.Now}), clock.Advance
	}})
}

func newStore(t testing.TB, cfg memstore.Config) *memstore.Store {
	t.Helper()
	s, err := memstore.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): got error %v, want nil", cfg, err)
	}
	return s
}

const (
	lease = 10 * time.Second
	ttl   = time.Hour
)

func newKey() store.Key { return store.Key{Scope: rand.Text(), ID: rand.Text()} }

func req(key store.Key, owner string) store.ClaimRequest {
	return store.ClaimRequest{Key: key, Fingerprint: store.Fingerprint{1}, Owner: owner, Lease: lease, TTL: ttl}
}

func claimWant(t *testing.T, s store.Store, r store.ClaimRequest, want store.ClaimOutcome) store.ClaimResult {
	t.Helper()
	res, err := s.Claim(t.Context(), r)
	if err != nil || res.Outcome != want {
		t.Fatalf("Claim(%v, %s): got (%v, %v), want (%v, nil)", r.Key, r.Owner, res.Outcome, err, want)
	}
	return res
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     memstore.Config
		wantErr bool
	}{
		{name: "ZeroIsDefaults", cfg: memstore.Config{}},
		{name: "Bounded", cfg: memstore.Config{MaxRecords: 1}},
		{name: "NegativeMaxRecords", cfg: memstore.Config{MaxRecords: -1}, wantErr: true},
		{name: "NegativeMaxBytes", cfg: memstore.Config{MaxBytes: -1}, wantErr: true},
		{name: "MinAge", cfg: memstore.Config{MinAge: time.Hour}},
		{name: "NegativeMinAge", cfg: memstore.Config{MinAge: -time.Second}, wantErr: true},
		{name: "Registerer", cfg: memstore.Config{Registerer: prometheus.NewRegistry()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := memstore.New(tc.cfg)
			if gotErr := err != nil; gotErr != tc.wantErr || (s == nil) != tc.wantErr {
				t.Errorf("New(%+v): got (%v, %v), want error %v", tc.cfg, s, err, tc.wantErr)
			}
		})
	}
}

// When full, expired records are dropped to make room before anything is
// evicted.
func TestFullDropsExpired(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{MaxRecords: 2, Now: clock.Now})
	short, long := newKey(), newKey()
	r := req(short, "o1")
	r.TTL = time.Minute
	claimWant(t, s, r, store.Claimed)
	claimWant(t, s, req(long, "o2"), store.Claimed)
	clock.Advance(2 * time.Minute)

	claimWant(t, s, req(newKey(), "o3"), store.Claimed)
	if _, err := s.Get(t.Context(), short); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(expired): got error %v, want ErrNotFound", err)
	}
	claimWant(t, s, req(long, "o4"), store.Abandoned)
}

// A Finish with a TTL shorter than the claim's makes room sooner: the store
// must not skip the sweep on the strength of the claim's longer TTL.
func TestFullDropsRecordFinishedWithShortTTL(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{MaxRecords: 2, Now: clock.Now})
	a, b := newKey(), newKey()
	claimWant(t, s, req(a, "o1"), store.Claimed)
	claimWant(t, s, req(b, "o2"), store.Claimed)
	if _, err := s.Claim(t.Context(), req(newKey(), "o3")); !errors.Is(err, store.ErrFull) {
		t.Fatalf("Claim on a full store: got error %v, want ErrFull", err)
	}
	if err := s.Finish(t.Context(), store.FinishRequest{Key: a, Owner: "o1", State: store.Failed, Status: http.StatusBadGateway, TTL: time.Minute}); err != nil {
		t.Fatalf("Finish: got error %v, want nil", err)
	}
	clock.Advance(2 * time.Minute)
	claimWant(t, s, req(newKey(), "o3"), store.Claimed)
}

// Expired records whose keys are never touched again are reclaimed by the
// next claim of a new key, well before the store is full.
func TestNewClaimReclaimsExpired(t *testing.T) {
	t.Parallel()
	const n = 1000
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{Now: clock.Now})
	for range n {
		claimWant(t, s, req(newKey(), "o"), store.Claimed)
	}
	clock.Advance(ttl + time.Second)
	claimWant(t, s, req(newKey(), "o"), store.Claimed)
	if got := s.Len(); got != 1 {
		t.Errorf("Len after %d expired and 1 new: got %d, want 1", n, got)
	}
}

// A record never expires under a live lease, whether the lease was longer
// than the TTL from the start or renewed past it.
func TestLeaseOutlivesTTL(t *testing.T) {
	t.Parallel()
	t.Run("Claim", func(t *testing.T) {
		t.Parallel()
		clock := new(fakeClock)
		s := newStore(t, memstore.Config{Now: clock.Now})
		key := newKey()
		r := req(key, "o1")
		r.Lease, r.TTL = 2*time.Minute, time.Minute
		claimWant(t, s, r, store.Claimed)
		clock.Advance(90 * time.Second)
		claimWant(t, s, req(key, "o2"), store.Busy)
	})
	t.Run("Renew", func(t *testing.T) {
		t.Parallel()
		clock := new(fakeClock)
		s := newStore(t, memstore.Config{Now: clock.Now})
		key := newKey()
		r := req(key, "o1")
		r.TTL = time.Minute
		claimWant(t, s, r, store.Claimed)
		clock.Advance(55 * time.Second)
		if err := s.Renew(t.Context(), key, "o1", lease); err != nil {
			t.Fatalf("Renew: got error %v, want nil", err)
		}
		clock.Advance(lease / 2) // past the TTL, within the renewed lease
		claimWant(t, s, req(key, "o2"), store.Busy)
	})
}

// Versions grow strictly even when the clock stalls or steps back, and
// start from the clock in microseconds.
func TestVersions(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{Now: clock.Now})
	key := newKey()
	var last int64
	for i, step := range []time.Duration{0, 0, -time.Hour, 0, time.Second} {
		clock.Advance(step)
		res := claimWant(t, s, req(key, "o"), store.Claimed)
		if i == 0 && res.Version != clock.Now().UnixMicro() {
			t.Errorf("first Version: got %d, want the clock in µs %d", res.Version, clock.Now().UnixMicro())
		}
		if res.Version <= last {
			t.Errorf("claim %d (clock step %v): Version got %d, want > %d", i, step, res.Version, last)
		}
		last = res.Version
		if err := s.Release(t.Context(), key, "o"); err != nil {
			t.Fatalf("Release: got error %v, want nil", err)
		}
	}
}

// Requests no caller should make are refused with an error that is not a
// store sentinel, so it is never mistaken for an answer about the key.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	s := newStore(t, memstore.Config{})
	key := newKey()
	claimWant(t, s, req(key, "o"), store.Claimed)
	noOwner, noLease, noTTL := req(newKey(), ""), req(newKey(), "o"), req(newKey(), "o")
	noLease.Lease, noTTL.TTL = 0, -time.Second
	finish := func(st store.State, ttl time.Duration) error {
		return s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: st, Status: http.StatusOK, TTL: ttl})
	}
	tests := []struct {
		name string
		err  error
	}{
		{"ClaimNoOwner", claimErr(t, s, noOwner)},
		{"ClaimNoLease", claimErr(t, s, noLease)},
		{"ClaimNegativeTTL", claimErr(t, s, noTTL)},
		{"RenewNoLease", s.Renew(t.Context(), key, "o", 0)},
		{"FinishInProgress", finish(store.InProgress, ttl)},
		{"FinishZeroState", finish(0, ttl)},
		{"FinishNoTTL", finish(store.Completed, 0)},
	}
	for _, tc := range tests {
		if tc.err == nil {
			t.Errorf("%s: got nil error, want one", tc.name)
		}
		for _, sentinel := range []error{store.ErrNotFound, store.ErrNotOwner, store.ErrFull, store.ErrInvalidKey} {
			if errors.Is(tc.err, sentinel) {
				t.Errorf("%s: got %v, want an error that is not %v", tc.name, tc.err, sentinel)
			}
		}
	}
	// None of them touched the claim.
	claimWant(t, s, req(key, "o2"), store.Busy)
}

func claimErr(t *testing.T, s store.Store, r store.ClaimRequest) error {
	_, err := s.Claim(t.Context(), r)
	return err
}

// TestMaxBytesBoundsStoredResponses: past MaxBytes a finished response is
// recorded completed but not replayable (never evicting a record, never
// a second run); once expired records free room, responses are kept again.
func TestMaxBytesBoundsStoredResponses(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	s, err := memstore.New(memstore.Config{MaxBytes: 100, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	finish := func(id string, body int, ttl time.Duration) store.ClaimOutcome {
		t.Helper()
		key := store.Key{Scope: "s", ID: id}
		req := store.ClaimRequest{Key: key, Owner: "o-" + id, Lease: time.Second, TTL: ttl}
		if res, err := s.Claim(ctx, req); err != nil || res.Outcome != store.Claimed {
			t.Fatalf("claim %s: %v, %v", id, res.Outcome, err)
		}
		resp := &store.Response{Status: 201, Body: make([]byte, body)}
		if err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: req.Owner, State: store.Completed, Status: 201, Response: resp, TTL: ttl}); err != nil {
			t.Fatalf("finish %s: %v", id, err)
		}
		req.Owner = "retry"
		res, err := s.Claim(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res.Outcome
	}
	if got := finish("a", 60, time.Minute); got != store.Replay {
		t.Errorf("60 of 100 bytes: %v, want replay", got)
	}
	if got := finish("b", 60, time.Hour); got != store.NotReplayable {
		t.Errorf("120 of 100 bytes: %v, want not_replayable", got)
	}
	if got := finish("c", 40, time.Hour); got != store.Replay {
		t.Errorf("100 of 100 bytes: %v, want replay", got)
	}
	clock.Advance(2 * time.Minute) // a expires, its 60 bytes come back
	if got := finish("d", 60, time.Hour); got != store.Replay {
		t.Errorf("after a expired: %v, want replay", got)
	}
}
