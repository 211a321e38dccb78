package memstore_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// finish finishes the claim of key by owner in state.
func finish(t *testing.T, s store.Store, key store.Key, owner string, state store.State) {
	t.Helper()
	resp := &store.Response{Status: http.StatusCreated, Body: []byte(`{"id":1}`)}
	if state == store.Failed {
		resp = nil
	}
	if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: state, Status: http.StatusCreated, Response: resp, TTL: ttl}); err != nil {
		t.Fatalf("Finish(%v, %s): got error %v, want nil", key, owner, err)
	}
}

// finished claims a new key and finishes it in state.
func finished(t *testing.T, s store.Store, state store.State) store.Key {
	t.Helper()
	key := newKey()
	claimWant(t, s, req(key, "o-"+key.ID), store.Claimed)
	finish(t, s, key, "o-"+key.ID, state)
	return key
}

func wantFull(t *testing.T, s *memstore.Store, when string) {
	t.Helper()
	if _, err := s.Claim(t.Context(), req(newKey(), "o-new")); !errors.Is(err, store.ErrFull) {
		t.Fatalf("%s: Claim of a new key: got error %v, want ErrFull", when, err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrFull) {
		t.Errorf("%s: Ping: got %v, want an error wrapping ErrFull", when, err)
	}
}

func wantGone(t *testing.T, s store.Store, key store.Key, what string) {
	t.Helper()
	if rec, err := s.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%s): got (%v, %v), want ErrNotFound (evicted)", what, rec.State, err)
	}
}

func wantKept(t *testing.T, s store.Store, key store.Key, what string, state store.State) {
	t.Helper()
	if rec, err := s.Get(t.Context(), key); err != nil || rec.State != state {
		t.Errorf("Get(%s): got (%v, %v), want %v (kept)", what, rec.State, err, state)
	}
}

// A full store forgets the record that finished first, COMPLETED or
// FAILED, whatever order the keys were claimed in; never an IN_PROGRESS
// one, not even the oldest or an abandoned one. Only when every record is
// IN_PROGRESS does a new key get ErrFull, and Ping says so.
func TestFullEvictsOldestFinishedFirst(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{MaxRecords: 4, Now: clock.Now})
	running, failedLast, completedFirst := newKey(), newKey(), newKey()
	claimWant(t, s, req(running, "o-run"), store.Claimed) // the oldest claim
	claimWant(t, s, req(failedLast, "o-failed"), store.Claimed)
	claimWant(t, s, req(completedFirst, "o-completed"), store.Claimed)
	clock.Advance(time.Second)
	finish(t, s, completedFirst, "o-completed", store.Completed)
	clock.Advance(time.Second)
	finish(t, s, failedLast, "o-failed", store.Failed)
	clock.Advance(lease + time.Second) // running is abandoned now: still kept
	claimWant(t, s, req(running, "o-other"), store.Abandoned)

	fourth := newKey()
	claimWant(t, s, req(fourth, "o-4"), store.Claimed) // room left: no eviction
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping of a full store that may forget: got %v, want nil", err)
	}
	claimWant(t, s, req(newKey(), "o-5"), store.Claimed)
	wantGone(t, s, completedFirst, "the record that finished first")
	wantKept(t, s, failedLast, "the record that finished next", store.Failed)
	claimWant(t, s, req(newKey(), "o-6"), store.Claimed)
	wantGone(t, s, failedLast, "the record that finished next")

	for i := range 2 { // a refused claim evicts nothing either
		wantFull(t, s, "every record IN_PROGRESS, try "+string(rune('1'+i)))
	}
	wantKept(t, s, running, "the abandoned claim", store.InProgress)
	wantKept(t, s, fourth, "a live claim", store.InProgress)
	if got := s.Len(); got != 4 {
		t.Errorf("Len: got %d, want 4", got)
	}
	// The evicted key is free: a retry runs again (the price of eviction).
	finish(t, s, fourth, "o-4", store.Completed)
	claimWant(t, s, req(completedFirst, "o-again"), store.Claimed)
	wantGone(t, s, fourth, "the only finished record")
}

// MinAge keeps a finished record until it finished that long ago: a full
// store whose oldest finished record is younger refuses new keys.
func TestMinAgeProtectsYoungRecords(t *testing.T) {
	t.Parallel()
	const minAge = 10 * time.Minute
	clock := new(fakeClock)
	s := newStore(t, memstore.Config{MaxRecords: 2, MinAge: minAge, Now: clock.Now})
	first := finished(t, s, store.Completed)
	clock.Advance(5 * time.Minute)
	second := finished(t, s, store.Failed)

	clock.Advance(minAge - 5*time.Minute - time.Second) // first finished 9m59s ago
	wantFull(t, s, "oldest finished within MinAge")
	wantKept(t, s, first, "the protected record", store.Completed)

	clock.Advance(time.Second) // first finished MinAge ago
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping once the oldest is MinAge old: got %v, want nil", err)
	}
	claimWant(t, s, req(newKey(), "o-new"), store.Claimed)
	wantGone(t, s, first, "the record past MinAge")
	wantFull(t, s, "the next finished 5m ago")
	wantKept(t, s, second, "the younger record", store.Failed)
}

// Expired records make room before any live one is evicted, even when a
// record with a longer ttl finished earlier.
func TestFullDropsExpiredBeforeEvicting(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	reg := prometheus.NewRegistry()
	s := newStore(t, memstore.Config{MaxRecords: 2, Now: clock.Now, Registerer: reg})
	long := finished(t, s, store.Completed) // ttl an hour
	short := newKey()
	claimWant(t, s, req(short, "o-short"), store.Claimed)
	if err := s.Finish(t.Context(), store.FinishRequest{Key: short, Owner: "o-short", State: store.Failed, Status: 500, TTL: time.Minute}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	clock.Advance(2 * time.Minute)
	claimWant(t, s, req(newKey(), "o-new"), store.Claimed)
	wantKept(t, s, long, "the live record that finished first", store.Completed)
	want := `
# HELP idemproxy_memstore_evictions_total Finished records the memory store forgot before their ttl to make room for a new key: a retry of such a key runs again.
# TYPE idemproxy_memstore_evictions_total counter
idemproxy_memstore_evictions_total 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "idemproxy_memstore_evictions_total"); err != nil {
		t.Errorf("an expired record is not evicted: %v", err)
	}
}

// The metrics count evictions and refusals, and the gauges read the
// store, on the Registerer the caller passed.
func TestEvictionMetrics(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	reg := prometheus.NewRegistry()
	s := newStore(t, memstore.Config{MaxRecords: 2, Now: clock.Now, Registerer: reg})
	finished(t, s, store.Completed)
	finished(t, s, store.Completed)
	for range 3 {
		finished(t, s, store.Failed) // each evicts one
	}
	claimWant(t, s, req(newKey(), "o-a"), store.Claimed)
	claimWant(t, s, req(newKey(), "o-b"), store.Claimed)
	for range 2 {
		if _, err := s.Claim(t.Context(), req(newKey(), "o-c")); !errors.Is(err, store.ErrFull) {
			t.Fatalf("Claim: got %v, want ErrFull", err)
		}
	}
	want := `
# HELP idemproxy_memstore_evictions_total Finished records the memory store forgot before their ttl to make room for a new key: a retry of such a key runs again.
# TYPE idemproxy_memstore_evictions_total counter
idemproxy_memstore_evictions_total 5
# HELP idemproxy_memstore_full_refusals_total New keys the memory store refused (ErrFull) because it was full and could forget nothing: every record in progress or younger than min_age.
# TYPE idemproxy_memstore_full_refusals_total counter
idemproxy_memstore_full_refusals_total 2
# HELP idemproxy_memstore_max_records The memory store's bound on records (max_records).
# TYPE idemproxy_memstore_max_records gauge
idemproxy_memstore_max_records 2
# HELP idemproxy_memstore_records Records the memory store holds, in any state (expired ones not yet dropped included).
# TYPE idemproxy_memstore_records gauge
idemproxy_memstore_records 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if _, err := memstore.New(memstore.Config{Registerer: reg}); err == nil {
		t.Error("a second store on the same Registerer: got nil error, want the duplicate registration refused")
	}
}

// Evictions are logged at most once a minute, by the store's clock; each
// line says how many were evicted since the previous one.
func TestEvictionLogRateLimited(t *testing.T) {
	t.Parallel()
	clock := new(fakeClock)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	s := newStore(t, memstore.Config{MaxRecords: 1, Now: clock.Now, Logger: log})
	finished(t, s, store.Completed)
	steps := []struct {
		advance   time.Duration
		evictions int
		want      []string // the lines logged so far, by their evicted= count
	}{
		{0, 1, []string{"evicted=1"}},                                 // the first eviction is logged at once
		{10 * time.Second, 3, []string{"evicted=1"}},                  // within the minute: counted only
		{50*time.Second - time.Millisecond, 1, []string{"evicted=1"}}, // still within
		{time.Millisecond, 1, []string{"evicted=1", "evicted=5"}},     // a minute on: the five since
		{time.Hour, 0, []string{"evicted=1", "evicted=5"}},            // no eviction, no line
		{0, 2, []string{"evicted=1", "evicted=5", "evicted=1"}},       // a line at once, then counting
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		for range st.evictions {
			finished(t, s, store.Completed)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != len(st.want) {
			t.Fatalf("step %d: got %d lines, want %d:\n%s", i+1, len(lines), len(st.want), buf.String())
		}
		for j, w := range st.want {
			if !strings.Contains(lines[j], "level=WARN") || !strings.Contains(lines[j], " "+w+" ") {
				t.Errorf("step %d: line %d is %q, want a warning with %s", i+1, j+1, lines[j], w)
			}
		}
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
