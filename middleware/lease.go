package middleware

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/idemproxy/idemproxy/store"
)

// renewer renews a claim's lease every third of it while the handler runs,
// so the lease can be short (a dead owner's key frees up in seconds) while
// the work is long. It runs on a timer, not a goroutine of its own: most
// handlers finish before the first renewal is due, and then cost nothing.
type renewer struct {
	m     *Middleware
	rt    *route
	key   store.Key
	owner string
	span  trace.Span // the request's: each renewal is a child of it
	// until is when renewing stops even if the handler has not returned:
	// the handler was told to stop at HandlerTimeout and its writes fail
	// HandlerGrace later, so a handler still running then ignores its
	// context, and must not hold the key forever; its lease then ends.
	// Until then a live owner is renewed, even while it is stuck writing to
	// a client that does not read.
	until time.Time
	// stuck reports a handler blocked writing to a client with no write
	// deadline to end it (see recorder.stuckWriting): past until it is
	// still alive, and renewed until it returns.
	stuck func() bool

	mu      sync.Mutex
	stopped bool
	timer   *time.Timer
	cancel  context.CancelFunc // of the renewal in flight
}

// keepLease starts renewing; the returned function stops it. A renewal in
// flight when it is stopped is cancelled, not awaited: it is fenced, so it
// cannot undo the finish that follows.
func (m *Middleware) keepLease(rt *route, span trace.Span, key store.Key, owner string, stuck func() bool) (stop func()) {
	r := &renewer{m: m, rt: rt, span: span, key: key, owner: owner, until: time.Now().Add(rt.policy.HandlerTimeout + rt.policy.HandlerGrace), stuck: stuck}
	r.mu.Lock()
	r.timer = time.AfterFunc(rt.policy.Lease/3, r.renew)
	r.mu.Unlock()
	return r.stop
}

func (r *renewer) renew() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.rt.policy.StoreTimeout)
	r.cancel = cancel
	r.mu.Unlock()

	ctx, op := r.m.startOp(ctx, r.span, "renew")
	err := r.m.store.Renew(ctx, r.key, r.owner, r.rt.policy.Lease)
	cancel()
	if err != nil {
		op.end(errResult(err), err)
	} else {
		op.end(resultOK, nil)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return // the handler returned meanwhile; an error now means nothing
	}
	if err != nil {
		r.m.metrics.storeFailed("renew")
		r.m.log.Warn("idempotency: could not renew the lease", "route", r.rt.name, "key", r.key.String(), "err", err)
		if errors.Is(err, store.ErrNotOwner) {
			return // another owner has the key; renewing cannot help
		}
	}
	if time.Now().After(r.until) && r.stuck() {
		r.m.warnNoDeadline.Do(func() {
			r.m.log.Warn("idempotency: the response writer takes no write deadline (an outer wrapper without Unwrap?): a handler stuck writing to a client that does not read is renewed until it returns", "route", r.rt.name)
		})
	} else if time.Now().After(r.until) {
		r.m.log.Warn("idempotency: handler outlived handler_timeout + handler_grace; its lease is no longer renewed", "route", r.rt.name, "key", r.key.String())
		return
	}
	r.timer.Reset(r.rt.policy.Lease / 3)
}

func (r *renewer) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.timer.Stop()
	if r.cancel != nil {
		r.cancel()
	}
}
