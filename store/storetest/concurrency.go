package storetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// storm is how many goroutines race for one key.
const storm = 64

// concurrencyCases: the duplicate storm. Goroutines report over channels;
// only the test goroutine fails the test.
func concurrencyCases() []testCase {
	return []testCase{
		{"OneClaimWins", func(t *testing.T, e *env) {
			key := newKey()
			type result struct {
				res store.ClaimResult
				err error
			}
			results := make(chan result, storm)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range storm {
				wg.Go(func() {
					<-start
					res, err := e.s.Claim(t.Context(), request(key, "A", newOwner()))
					results <- result{res, err}
				})
			}
			close(start)
			wg.Wait()
			close(results)

			counts := map[store.ClaimOutcome]int{}
			for r := range results {
				if r.err != nil {
					t.Errorf("Claim: got error %v, want nil", r.err)
					continue
				}
				counts[r.res.Outcome]++
			}
			if counts[store.Claimed] != 1 || counts[store.Busy] != storm-1 {
				t.Errorf("outcomes: got %v, want 1 claimed and %d busy", counts, storm-1)
			}
		}},
		{"WaitersReplayTheWinner", waitersReplayCase},
	}
}

// waitersReplayCase is the "wait" policy under a storm: the goroutine that
// claims finishes, every other one waits and then replays its response.
func waitersReplayCase(t *testing.T, e *env) {
	key := newKey()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	resp := sampleResponse()

	// With Harness.WaitBlocked the winner finishes only once every loser
	// is blocked in Wait, so each must be woken by the notification.
	var blocked <-chan struct{}
	if e.waitBlocked != nil {
		blocked = e.waitBlocked(key)
	}
	outcomes := make(chan store.ClaimOutcome, storm)
	errs := make(chan error, storm)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range storm {
		wg.Go(func() {
			<-start
			if err := claimOrReplay(ctx, e.s, key, resp, blocked, outcomes); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(outcomes)
	close(errs)

	for err := range errs {
		t.Error(err)
	}
	counts := map[store.ClaimOutcome]int{}
	for o := range outcomes {
		counts[o]++
	}
	if counts[store.Claimed] != 1 || counts[store.Replay] != storm-1 {
		t.Errorf("final outcomes: got %v, want 1 claimed and %d replay", counts, storm-1)
	}
}

// claimOrReplay claims key; the winner finishes it with resp, a loser waits
// and claims again, which must replay resp (a goroutine that starts after
// the winner finished replays at once). It reports the final outcome. When
// blocked is not nil, the winner first waits for storm-1 waiters to block
// (every other goroutine is a loser while the winner holds the key).
func claimOrReplay(ctx context.Context, s store.Store, key store.Key, resp *store.Response, blocked <-chan struct{}, outcomes chan<- store.ClaimOutcome) error {
	req := request(key, "A", newOwner())
	res, err := s.Claim(ctx, req)
	if err != nil {
		return fmt.Errorf("Claim: got error %v, want nil", err)
	}
	switch res.Outcome {
	case store.Claimed:
		outcomes <- res.Outcome
		for i := 0; blocked != nil && i < storm-1; i++ {
			select {
			case <-blocked:
			case <-ctx.Done():
				return fmt.Errorf("%d of %d waiters blocked before the deadline", i, storm-1)
			}
		}
		return s.Finish(ctx, store.FinishRequest{Key: key, Owner: req.Owner, State: store.Completed, Status: http.StatusCreated, Response: resp, TTL: ttl})
	case store.Busy:
		if err := s.Wait(ctx, key); err != nil {
			return fmt.Errorf("Wait: got error %v, want nil", err)
		}
		if res, err = s.Claim(ctx, req); err != nil {
			return fmt.Errorf("Claim after Wait: got error %v, want nil", err)
		}
	case store.Replay:
		// A late starter: the winner had already finished.
	default:
		return fmt.Errorf("first Claim: got outcome %v, want claimed, busy or replay", res.Outcome)
	}
	outcomes <- res.Outcome
	if res.Outcome == store.Replay {
		if d := diffResponse(res.Response, resp); d != "" {
			return fmt.Errorf("replayed response: %s", d)
		}
	}
	return nil
}
