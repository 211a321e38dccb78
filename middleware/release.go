package middleware

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// A claim the middleware gave up on (the store did not answer within
// StoreTimeout) may still take effect: its bytes may sit in a stalled
// store's queue, or its reply may have been lost. The client was told
// "not run, retry with the same key", and nobody will ever finish or renew
// that claim, so it would hold the key, then answer "abandoned" for its
// whole TTL although nothing ran. Two things prevent that: the claim
// carries its deadline (a store that runs it later takes nothing, see
// store.Store.Claim), and the middleware releases it, fenced by the owner
// token, retrying until the store answers — the release landed, or the
// store says the key is not that owner's (never claimed, or claimed and
// released already) — or until the record would have expired anyway.

// Bounds of the release retries.
const (
	releaseFirstBackoff = 100 * time.Millisecond
	releaseMaxBackoff   = 5 * time.Second
)

// releaser retries the releases of given-up claims in the background, at
// most max at once: a store that is down must not pile up goroutines
// without bound. Past that a release is dropped, counted and logged: its
// claim is then bounded by its deadline alone.
type releaser struct {
	m       *Middleware
	slots   chan struct{}
	lastLog atomic.Int64 // unix seconds of the last "dropped" warning
}

func newReleaser(m *Middleware, max int) *releaser {
	return &releaser{m: m, slots: make(chan struct{}, max)}
}

// release starts releasing owner's claim of key. It does not wait: the
// client's 503 need not wait on a store that is likely down.
func (rl *releaser) release(rt *route, key store.Key, owner string) {
	select {
	case rl.slots <- struct{}{}:
	default:
		rl.m.metrics.releasesDropped.Inc()
		if now := time.Now().Unix(); rl.lastLog.Load() < now-60 {
			rl.lastLog.Store(now)
			rl.m.log.Warn("idempotency: too many releases pending; a given-up claim is not released (its deadline still bounds it)", "pending", cap(rl.slots))
		}
		return
	}
	rl.m.metrics.pendingReleases.Inc()
	go func() {
		defer func() { <-rl.slots; rl.m.metrics.pendingReleases.Dec() }()
		rl.retry(rt, key, owner)
	}()
}

// retry releases until the store answers, with capped exponential backoff
// and full jitter, and gives up once the record the claim may have made has
// expired.
func (rl *releaser) retry(rt *route, key store.Key, owner string) {
	giveUp := time.Now().Add(max(rt.policy.TTL, rt.policy.Lease))
	backoff := releaseFirstBackoff
	for {
		ctx, cancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
		began := time.Now()
		err := rl.m.store.Release(ctx, key, owner)
		cancel()
		rl.m.metrics.storeTimed("release", began)
		if err == nil || errors.Is(err, store.ErrNotOwner) || errors.Is(err, store.ErrInvalidKey) {
			return
		}
		rl.m.metrics.storeFailed("release")
		if time.Now().Add(backoff).After(giveUp) {
			rl.m.log.Warn("idempotency: gave up releasing a given-up claim; its record has expired by now", "route", rt.name, "key", key.String(), "err", err)
			return
		}
		t := time.NewTimer(releaseWait(backoff))
		<-t.C
		backoff = min(2*backoff, releaseMaxBackoff)
	}
}

// releaseWait is how long a retry waits at backoff: a uniform draw below
// it ("full jitter"). The claims given up on during one store outage all
// started their backoffs together; unjittered, their releases would
// arrive at the recovering store in lockstep, doubling waves of them.
// Never longer than backoff, so a release still lands within
// releaseMaxBackoff of the store answering again.
func releaseWait(backoff time.Duration) time.Duration {
	return rand.N(backoff) + 1
}
