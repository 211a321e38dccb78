package relay_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	"github.com/idemproxy/idemproxy/orderapp/relay"
)

// TestRelayDeliversEveryEventOnceInOrderDespiteFailures: a publisher that
// fails N times, then accepts, gets every event exactly once, in the order
// the orders were saved (so each order's events in order), whether saved
// before the relay started or while it runs; nothing is left pending.
func TestRelayDeliversEveryEventOnceInOrderDespiteFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fails int
	}{
		{name: "no failures", fails: 0},
		{name: "one failure", fails: 1},
		{name: "failures past the backoff cap", fails: 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				repo, pub := memory.NewOrderRepository(), newFlaky(tc.fails)
				r := newRelay(t, repo, pub, relay.Config{BatchSize: 2})
				want := place(t, repo, 3)
				r.Start()
				want = append(want, place(t, r.WakeOnSave(repo), 4)...)
				if err := r.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown error = %v, want nil", err)
				}
				if got := pub.Events(); !slices.Equal(got, want) {
					t.Errorf("accepted events = %v,\nwant %v (each once, in save order)", got, want)
				}
				if d, f := r.Delivered(), r.Failures(); d != int64(len(want)) || f != int64(tc.fails) {
					t.Errorf("Delivered, Failures = %d, %d; want %d, %d", d, f, len(want), tc.fails)
				}
				if n := repo.PendingCount(); n != 0 {
					t.Errorf("PendingCount() = %d, want 0", n)
				}
			})
		})
	}
}

// TestRelayBackoffIsBounded: the waits between failed attempts double from
// MinBackoff and never exceed MaxBackoff; a success resets them.
func TestRelayBackoffIsBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		repo, pub := memory.NewOrderRepository(), newFlaky(6)
		r := newRelay(t, repo, pub, relay.Config{MinBackoff: 10 * ms, MaxBackoff: 50 * ms, PollInterval: time.Hour})
		place(t, repo, 1)
		r.Start()
		time.Sleep(time.Minute) // on the bubble's clock: 6 failures, then the delivery
		synctest.Wait()         // the relay idles until its poll
		pub.failNext(1)
		place(t, r.WakeOnSave(repo), 1)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		at := pub.attemptTimes()
		var gaps []time.Duration
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]))
		}
		// 6 failures, a success; idle until woken; a failure, a success.
		wantFirst := []time.Duration{10 * ms, 20 * ms, 40 * ms, 50 * ms, 50 * ms, 50 * ms}
		wantAfterIdle := []time.Duration{10 * ms}
		if len(gaps) != len(wantFirst)+1+len(wantAfterIdle) ||
			!slices.Equal(gaps[:len(wantFirst)], wantFirst) || !slices.Equal(gaps[len(wantFirst)+1:], wantAfterIdle) {
			t.Errorf("gaps between attempts = %v, want %v, the idle time, then %v", gaps, wantFirst, wantAfterIdle)
		}
	})
}

// TestRelayRedeliversWhenMarkingFails: an event accepted but not marked
// sent is published again — at least once, never lost — with the same
// EventID, which is what lets a consumer count it once.
func TestRelayRedeliversWhenMarkingFails(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := memory.NewOrderRepository()
		outbox, pub := &forgetfulOutbox{OrderRepository: repo, fails: 1}, newFlaky(0)
		r := newRelay(t, outbox, pub, relay.Config{})
		want := place(t, repo, 2)
		r.Start()
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := pub.Events()
		if !slices.Equal(got, []domain.OrderPlaced{want[0], want[0], want[1]}) {
			t.Errorf("accepted events = %v, want the first twice, then the second", got)
		}
		ids := map[string]int{}
		for _, e := range got {
			ids[e.EventID()]++
		}
		if len(ids) != 2 || r.Delivered() != 3 {
			t.Errorf("distinct EventIDs %d, Delivered %d; want 2, 3", len(ids), r.Delivered())
		}
	})
}

// TestRelayShutdown: Shutdown delivers what is pending before it returns,
// without waiting for a poll; against a publisher that is down it gives up
// at its context's deadline and leaves the entries pending.
func TestRelayShutdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fails       int
		wantErr     error
		wantTook    time.Duration
		wantPending int64
	}{
		{name: "drains", fails: 3, wantTook: 10*time.Millisecond + 20*time.Millisecond + 40*time.Millisecond},
		{name: "gives up at the deadline", fails: -1, wantErr: context.DeadlineExceeded, wantTook: time.Second, wantPending: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				repo, pub := memory.NewOrderRepository(), newFlaky(0)
				r := newRelay(t, repo, pub, relay.Config{PollInterval: time.Hour})
				r.Start()
				synctest.Wait() // idle until the next poll, an hour away
				pub.failNext(tc.fails)
				place(t, repo, 3) // no wake
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				start := time.Now()
				err := r.Shutdown(ctx)
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && (!errors.Is(err, tc.wantErr) || !errors.Is(err, relay.ErrNotDrained)) {
					t.Errorf("Shutdown error = %v, want %v", err, tc.wantErr)
				}
				if took := time.Since(start); took != tc.wantTook {
					t.Errorf("Shutdown took %v, want %v", took, tc.wantTook)
				}
				if n := repo.PendingCount(); n != tc.wantPending {
					t.Errorf("PendingCount() = %d, want %d", n, tc.wantPending)
				}
				if again := r.Shutdown(context.Background()); (again == nil) != (tc.wantErr == nil) {
					t.Errorf("second Shutdown error = %v, want the first's outcome", again)
				}
			})
		})
	}
}

func TestRelayWakesOnSave(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo, pub := memory.NewOrderRepository(), newFlaky(0)
		r := newRelay(t, repo, pub, relay.Config{PollInterval: time.Hour})
		r.Start()
		defer r.Shutdown(context.Background())
		start := time.Now()
		place(t, r.WakeOnSave(repo), 1)
		synctest.Wait()
		if n, took := pub.Published(), time.Since(start); n != 1 || took != 0 {
			t.Errorf("published %d after %v, want 1 at once", n, took)
		}
		place(t, repo, 1) // no wake: the poll finds it
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := pub.Published(); n != 2 {
			t.Errorf("published %d after a poll interval, want 2", n)
		}
	})
}

// TestRelayConcurrentSaves races writers saving orders while the relay
// delivers (run it with -race): every event arrives exactly once, and each
// writer's events in the order it saved them.
func TestRelayConcurrentSaves(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 8, 25
	repo, pub := memory.NewOrderRepository(), newFlaky(3)
	r := newRelay(t, repo, pub, relay.Config{BatchSize: 7, MinBackoff: time.Millisecond})
	r.Start()
	waking := r.WakeOnSave(repo)
	saved := make([][]domain.OrderPlaced, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var err error
			saved[w], err = placeOrders(waking, perWriter)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown error = %v, want nil", err)
	}
	at := map[domain.OrderPlaced]int{}
	for i, e := range pub.Events() {
		if _, dup := at[e]; dup {
			t.Errorf("event %s delivered twice", e.EventID())
		}
		at[e] = i
	}
	if len(at) != writers*perWriter {
		t.Errorf("delivered %d distinct events, want %d", len(at), writers*perWriter)
	}
	for w, events := range saved {
		for i := 1; i < len(events); i++ {
			if at[events[i]] < at[events[i-1]] {
				t.Errorf("writer %d: event %d delivered before event %d", w, i, i-1)
			}
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	repo, pub := memory.NewOrderRepository(), memory.NewPublisher()
	tests := []struct {
		name string
		cfg  relay.Config
	}{
		{name: "negative batch", cfg: relay.Config{BatchSize: -1}},
		{name: "negative poll", cfg: relay.Config{PollInterval: -time.Second}},
		{name: "negative backoff", cfg: relay.Config{MinBackoff: -time.Second}},
		{name: "min above max", cfg: relay.Config{MinBackoff: time.Minute, MaxBackoff: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := relay.New(repo, pub, tc.cfg); err == nil {
				t.Errorf("New(%+v) error = nil, want an error", tc.cfg)
			}
		})
	}
	// The defaults give way to a small cap, or a large minimum.
	for _, cfg := range []relay.Config{{}, {MaxBackoff: time.Millisecond}, {MinBackoff: time.Minute}} {
		if _, err := relay.New(repo, pub, cfg); err != nil {
			t.Errorf("New(%+v) error = %v, want nil", cfg, err)
		}
	}
}
