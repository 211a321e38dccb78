package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// reject answers with a problem and counts the outcome.
func (m *Middleware) reject(c *call, o Outcome, p Problem) {
	WriteProblem(c.w, p)
	c.done(o)
}

// rejectBody answers a request whose body could not be read whole.
func (m *Middleware) rejectBody(c *call, err error) {
	if errors.Is(err, errBodyTooLarge) {
		m.reject(c, OutcomeTooLarge, Problem{
			Type: ProblemTooLarge, Status: http.StatusRequestEntityTooLarge, Title: "Request body too large",
			Detail: "The request body is larger than " + strconv.FormatInt(c.rt.policy.MaxRequestBody, 10) + " bytes, the most an idempotent request may carry.",
		})
		return
	}
	m.reject(c, OutcomeInvalidBody, Problem{
		Type: ProblemUnreadableBody, Status: http.StatusBadRequest, Title: "Unreadable request body",
		Detail: "The request body could not be read whole.",
	})
}

// rejectOutcome answers the claim outcomes that refuse the request.
func (m *Middleware) rejectOutcome(c *call, res store.ClaimResult) {
	switch res.Outcome {
	case store.Mismatch:
		m.reject(c, OutcomeMismatch, Problem{
			Type: ProblemKeyReused, Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused",
			Detail: "This idempotency key was already used for a different request. Use a new key for a new request.",
		})
	case store.PreviouslyFailed:
		m.reject(c, OutcomeFailedRejected, Problem{
			Type: ProblemPreviouslyFailed, Status: http.StatusConflict, Title: "Earlier request failed",
			Detail: fmt.Sprintf("The request with this idempotency key failed with status %d. Use a new key to try again.", res.Status),
		})
	case store.Abandoned:
		m.reject(c, OutcomeAbandoned, Problem{
			Type: ProblemAbandoned, Status: http.StatusConflict, Title: "Outcome unknown",
			Detail: "The request with this idempotency key stopped before it finished; whether it took effect is unknown. Check, then use a new key.",
		})
	case store.NotReplayable:
		m.reject(c, OutcomeNotReplayable, Problem{
			Type: ProblemNotReplayable, Status: http.StatusConflict, Title: "Response not replayable",
			Detail: fmt.Sprintf("The request with this idempotency key completed with status %d, but its response could not be kept. It will not run again.", res.Status),
		})
	default:
		// A backend answering an outcome this version does not know: the
		// safe reading is "not yours to run".
		m.storeTroubleClosed(c, fmt.Errorf("unknown claim outcome %d", res.Outcome))
	}
}

// storeTrouble applies the fail mode when the store could not be used.
func (m *Middleware) storeTrouble(c *call, err error) {
	if c.rt.policy.FailMode == FailOpen {
		m.log.Warn("idempotency: store unavailable, passing through unprotected", "route", c.rt.name, "err", err)
		c.restoreBody()
		c.next.ServeHTTP(c.w, c.r)
		c.done(OutcomeStoreError)
		return
	}
	m.storeTroubleClosed(c, err)
}

func (m *Middleware) storeTroubleClosed(c *call, err error) {
	if errors.Is(err, store.ErrFull) {
		m.log.Warn("idempotency: store full, refusing", "route", c.rt.name, "err", err)
		m.reject(c, OutcomeStoreError, Problem{
			Type: ProblemStoreFull, Status: http.StatusServiceUnavailable, Title: "Idempotency store full",
			Detail:     "The request was not processed because the idempotency store has no room for a new key. Retry with the same key.",
			RetryAfter: time.Second,
		})
		return
	}
	m.log.Warn("idempotency: store unavailable, refusing", "route", c.rt.name, "err", err)
	m.reject(c, OutcomeStoreError, Problem{
		Type: ProblemStoreUnavailable, Status: http.StatusServiceUnavailable, Title: "Idempotency store unavailable",
		Detail:     "The request was not processed because its idempotency key could not be checked. Retry with the same key.",
		RetryAfter: time.Second,
	})
}

// doClaim claims with its own timeout, detached from the client: a client
// that hangs up mid-claim must not leave a claim whose reply was lost. When
// the claim fails it may still have been applied, or be applied later, so
// its owner releases it (fenced by the owner token, so this can only remove
// our own claim), retrying until the store answers (see releaser).
func (m *Middleware) doClaim(c *call) (store.ClaimResult, error) {
	timeout := c.rt.policy.StoreTimeout
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx, op := m.startOp(ctx, c.span, "claim")
	res, err := m.store.Claim(ctx, c.claim)
	if err == nil {
		op.end(res.Outcome.String(), nil)
		if res.TookOver {
			m.log.Warn("idempotency: took over an abandoned key; its first attempt's outcome is unknown", "route", c.rt.name, "key", c.claim.Key.String())
		}
		return res, nil
	}
	op.end(errResult(err), err)
	m.metrics.storeFailed("claim")
	if !errors.Is(err, store.ErrFull) && !errors.Is(err, store.ErrInvalidKey) {
		// Those refused the claim outright; any other failure may hide a
		// claim that took, or will take, effect.
		m.releases.release(c.rt, c.claim.Key, c.claim.Owner)
	}
	return res, err
}
