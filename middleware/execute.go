package middleware

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// execute runs the handler for a claimed key and records the result.
func (m *Middleware) execute(rt *route, next http.Handler, w http.ResponseWriter, r *http.Request, req store.ClaimRequest, claim store.ClaimResult, start time.Time) {
	// Detached from the client: a client that hangs up must not abort the
	// work half way; the handler gets its own timeout instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rt.policy.HandlerTimeout)
	defer cancel()
	ctx, notExecuted := withNotExecutedFlag(ctx)
	r = r.WithContext(ctx)
	r.Header.Set(m.fencing, strconv.FormatInt(claim.Version, 10))

	bufp := m.getBuf()
	defer m.putBuf(bufp)
	rec := newRecorder(w, rt.policy.MaxResponseBody, *bufp)

	inFlight := m.metrics.inFlight.WithLabelValues(rt.name)
	inFlight.Inc()
	stopRenewing := m.keepLease(rt, req.Key, req.Owner)
	panicked := runHandler(next, rec, r)
	stopRenewing()
	inFlight.Dec()

	outcome := m.finish(rt, req, rec, panicked != nil, notExecuted.Load())
	*bufp = rec.body[:0] // keep the grown buffer for the pool
	m.metrics.observe(rt.name, outcome, start)
	if panicked != nil {
		// Recorded as failed; now let net/http abort the response, as it
		// would have without us, so the client sees a broken response
		// rather than a truncated one that looks whole.
		panic(panicked)
	}
}

// runHandler serves r and returns what the handler panicked with, if it did.
func runHandler(next http.Handler, w http.ResponseWriter, r *http.Request) (panicked any) {
	defer func() { panicked = recover() }()
	next.ServeHTTP(w, r)
	return nil
}

// finish records the handler's result by its status (DESIGN §2.7) and
// returns the request's outcome. It runs detached from the client, so a
// client that went away does not stop the result from being recorded. A
// handler that panicked may have acted before it did: its record is failed,
// never released, so a retry cannot run it twice. A handler that said
// NotExecuted is released whatever its status.
func (m *Middleware) finish(rt *route, req store.ClaimRequest, rec *recorder, panicked, notExecuted bool) Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
	defer cancel()
	status := rec.result()
	action := rt.statuses.action(status)
	switch {
	case notExecuted:
		action = ActionRelease
	case panicked:
		action = ActionFail
		if rec.status == 0 {
			status = http.StatusInternalServerError
		}
	}
	if rec.status == 0 {
		rec.header = rec.w.Header().Clone() // the handler wrote nothing: an empty 200
	}

	began := time.Now()
	var err error
	op, outcome := "finish", OutcomeExecuted
	switch action {
	case ActionRelease:
		op, outcome = "release", OutcomeReleased
		err = m.store.Release(ctx, req.Key, req.Owner)
	case ActionFail:
		err = m.store.Finish(ctx, store.FinishRequest{
			Key: req.Key, Owner: req.Owner, State: store.Failed, Status: status, TTL: rt.policy.TTL,
		})
	default:
		var resp *store.Response
		if !rec.overflow {
			resp = &store.Response{Status: status, Header: rt.storedHeader(rec.header), Body: rec.body}
			m.metrics.responseBytes.WithLabelValues(rt.name).Observe(float64(len(rec.body)))
		}
		err = m.store.Finish(ctx, store.FinishRequest{
			Key: req.Key, Owner: req.Owner, State: store.Completed, Status: status, Response: resp, TTL: rt.policy.TTL,
		})
	}
	m.metrics.storeDuration.WithLabelValues(op).Observe(time.Since(began).Seconds())
	switch {
	case errors.Is(err, store.ErrNotOwner):
		// Our lease ran out and another owner took over, or an operator
		// deleted the key: the newer record stands.
		m.metrics.storeErrors.WithLabelValues(op).Inc()
		m.log.Warn("idempotency: lost the key before finishing; the newer record stands", "route", rt.name, "key", req.Key.String(), "status", status)
	case err != nil:
		// The client has its response; the record stays IN_PROGRESS until
		// its lease ends (DESIGN §2.8).
		m.metrics.storeErrors.WithLabelValues(op).Inc()
		m.log.Warn("idempotency: could not record the result", "route", rt.name, "key", req.Key.String(), "status", status, "err", err)
	}
	return outcome
}

// keepLease renews the claim's lease every third of it while the handler
// runs, so the lease can be short while the work is long. The returned
// function stops renewing and waits for the renewer to exit.
func (m *Middleware) keepLease(rt *route, key store.Key, owner string) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(rt.policy.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
			began := time.Now()
			err := m.store.Renew(ctx, key, owner, rt.policy.Lease)
			cancel()
			m.metrics.storeDuration.WithLabelValues("renew").Observe(time.Since(began).Seconds())
			if err != nil {
				m.metrics.storeErrors.WithLabelValues("renew").Inc()
				m.log.Warn("idempotency: could not renew the lease", "route", rt.name, "key", key.String(), "err", err)
				if errors.Is(err, store.ErrNotOwner) {
					return // another owner has the key; renewing cannot help
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
