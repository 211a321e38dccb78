package middleware

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/idemproxy/idemproxy/store"
)

// execute runs the handler for a claimed key and records the result.
func (m *Middleware) execute(c *call, claim store.ClaimResult) {
	rt := c.rt
	// Detached from the client: a client that hangs up must not abort the
	// work half way; the handler gets its own timeout instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.Context()), rt.policy.HandlerTimeout)
	defer cancel()
	ctx, notExecuted := withNotExecutedFlag(ctx)
	c.restoreBody()
	r := c.r.WithContext(ctx)
	r.Header.Set(m.fencing, strconv.FormatInt(claim.Version, 10))

	// Headers outer layers set before us belong to this request (a request
	// id, CORS), not to the response to replay.
	var pre http.Header
	if len(c.w.Header()) > 0 {
		pre = c.w.Header().Clone()
	}
	bufp := m.getBuf()
	defer m.putBuf(bufp)
	rec := newRecorder(c.w, rt, pre, *bufp)

	rt.metrics.inFlight.Inc()
	stopRenewing := m.keepLease(rt, c.span, c.claim.Key, c.claim.Owner, rec.stuckWriting)
	stopCutting := rec.cutWhenDone(ctx, rt.policy.HandlerGrace)
	panicked, stack := runHandler(c.next, rec, r)
	stopCutting()
	stopRenewing()
	rt.metrics.inFlight.Dec()

	outcome := m.finish(c, rec, panicked != nil, notExecuted.Load())
	*bufp = rec.body[:0] // keep the grown buffer for the pool
	c.done(outcome)
	if panicked != nil {
		if panicked != http.ErrAbortHandler {
			m.log.Error("idempotency: handler panicked; its key is recorded failed", "route", rt.name, "panic", panicked, "stack", string(stack))
		}
		// Recorded as failed; now let net/http abort the response, as it
		// would have without us, so the client sees a broken response
		// rather than a truncated one that looks whole.
		panic(panicked)
	}
}

// runHandler serves r and returns what the handler panicked with, if it
// did, with the handler's stack (re-panicking later would show only ours).
func runHandler(next http.Handler, w http.ResponseWriter, r *http.Request) (panicked any, stack []byte) {
	defer func() {
		if panicked = recover(); panicked != nil && panicked != http.ErrAbortHandler {
			stack = debug.Stack()
		}
	}()
	next.ServeHTTP(w, r)
	return nil, nil
}

// finish records the handler's result by its status and
// returns the request's outcome. It runs detached from the client, so a
// client that went away does not stop the result from being recorded. A
// handler that panicked may have acted before it did: its record is failed,
// never released, so a retry cannot run it twice. A handler that said
// NotExecuted is released whatever its status.
func (m *Middleware) finish(c *call, rec *recorder, panicked, notExecuted bool) Outcome {
	rt := c.rt
	ctx, cancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
	defer cancel()
	wrote := rec.status != 0
	status, replayable := rec.response(c.r.Method)
	action := rt.statuses.action(status)
	switch {
	case notExecuted:
		action = ActionRelease
	case panicked:
		// Whatever status went out, the response broke off: recorded as a
		// 500, so a retry is not told that a failed request "failed with
		// status 201".
		action = ActionFail
		if !wrote || status < 400 {
			status = http.StatusInternalServerError
		}
	}

	var err error
	op, outcome, result := "finish", OutcomeExecuted, resultCompleted
	switch action {
	case ActionRelease:
		op, outcome, result = "release", OutcomeReleased, resultOK
	case ActionFail:
		result = resultFailed
	}
	ctx, sop := m.startOp(ctx, c.span, op)
	switch action {
	case ActionRelease:
		err = m.store.Release(ctx, c.claim.Key, c.claim.Owner)
	case ActionFail:
		err = m.store.Finish(ctx, store.FinishRequest{
			Key: c.claim.Key, Owner: c.claim.Owner, State: store.Failed, Status: status, TTL: rt.policy.TTL,
		})
	default:
		var resp *store.Response
		if replayable {
			resp = &store.Response{Status: status, Header: rec.header, Body: rec.body}
			rt.metrics.responseBytes.Observe(float64(len(rec.body)))
		}
		// Not cached here: the store may keep the record without its
		// response (past its own size bound), and the cache must never
		// replay what the store would refuse. The first replay fills it.
		err = m.store.Finish(ctx, store.FinishRequest{
			Key: c.claim.Key, Owner: c.claim.Owner, State: store.Completed, Status: status, Response: resp, TTL: rt.policy.TTL,
		})
	}
	if err != nil {
		result = errResult(err)
	}
	sop.end(result, err)
	switch {
	case errors.Is(err, store.ErrNotOwner):
		// Our lease ran out and another owner took over, or an operator
		// deleted the key: the newer record stands.
		m.metrics.storeFailed(op)
		m.log.Warn("idempotency: lost the key before finishing; the newer record stands", "route", rt.name, "key", c.claim.Key.String(), "status", status)
	case err != nil:
		// The client has its response; the record stays IN_PROGRESS until
		// its lease ends.
		m.metrics.storeFailed(op)
		m.log.Warn("idempotency: could not record the result", "route", rt.name, "key", c.claim.Key.String(), "status", status, "err", err)
	}
	return outcome
}
