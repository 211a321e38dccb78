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
func (m *Middleware) reject(w http.ResponseWriter, rt *route, start time.Time, o Outcome, p Problem) {
	WriteProblem(w, p)
	m.metrics.observe(rt.name, o, start)
}

// rejectBody answers a request whose body could not be read whole.
func (m *Middleware) rejectBody(w http.ResponseWriter, rt *route, start time.Time, err error) {
	if errors.Is(err, errBodyTooLarge) {
		m.reject(w, rt, start, OutcomeTooLarge, Problem{
			Type: ProblemTooLarge, Status: http.StatusRequestEntityTooLarge, Title: "Request body too large",
			Detail: "The request body is larger than " + strconv.FormatInt(rt.policy.MaxRequestBody, 10) + " bytes, the most an idempotent request may carry.",
		})
		return
	}
	m.reject(w, rt, start, OutcomeInvalidBody, Problem{
		Type: ProblemUnreadableBody, Status: http.StatusBadRequest, Title: "Unreadable request body",
		Detail: "The request body could not be read whole.",
	})
}

// rejectOutcome answers the claim outcomes that refuse the request.
func (m *Middleware) rejectOutcome(w http.ResponseWriter, rt *route, start time.Time, res store.ClaimResult) {
	switch res.Outcome {
	case store.Mismatch:
		m.reject(w, rt, start, OutcomeMismatch, Problem{
			Type: ProblemKeyReused, Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused",
			Detail: "This idempotency key was already used for a different request. Use a new key for a new request.",
		})
	case store.PreviouslyFailed:
		m.reject(w, rt, start, OutcomeFailedRejected, Problem{
			Type: ProblemPreviouslyFailed, Status: http.StatusConflict, Title: "Earlier request failed",
			Detail: fmt.Sprintf("The request with this idempotency key failed with status %d. Use a new key to try again.", res.Status),
		})
	case store.Abandoned:
		m.reject(w, rt, start, OutcomeAbandoned, Problem{
			Type: ProblemAbandoned, Status: http.StatusConflict, Title: "Outcome unknown",
			Detail: "The request with this idempotency key stopped before it finished; whether it took effect is unknown. Check, then use a new key.",
		})
	case store.NotReplayable:
		m.reject(w, rt, start, OutcomeNotReplayable, Problem{
			Type: ProblemNotReplayable, Status: http.StatusConflict, Title: "Response not replayable",
			Detail: fmt.Sprintf("The request with this idempotency key completed with status %d, but its response was too large to keep. It will not run again.", res.Status),
		})
	default:
		// A backend answering an outcome this version does not know: the
		// safe reading is "not yours to run".
		m.storeTroubleClosed(w, rt, start, fmt.Errorf("unknown claim outcome %d", res.Outcome))
	}
}

// storeTrouble applies the fail mode when the store could not be used.
func (m *Middleware) storeTrouble(rt *route, next http.Handler, w http.ResponseWriter, r *http.Request, start time.Time, err error) {
	if rt.policy.FailMode == FailOpen {
		m.log.Warn("idempotency: store unavailable, passing through unprotected", "route", rt.name, "err", err)
		m.metrics.observe(rt.name, OutcomeStoreError, start)
		next.ServeHTTP(w, r)
		return
	}
	m.storeTroubleClosed(w, rt, start, err)
}

func (m *Middleware) storeTroubleClosed(w http.ResponseWriter, rt *route, start time.Time, err error) {
	m.log.Warn("idempotency: store unavailable, refusing", "route", rt.name, "err", err)
	m.reject(w, rt, start, OutcomeStoreError, Problem{
		Type: ProblemStoreUnavailable, Status: http.StatusServiceUnavailable, Title: "Idempotency store unavailable",
		Detail:     "The request was not processed because its idempotency key could not be checked. Retry with the same key.",
		RetryAfter: time.Second,
	})
}

// doClaim claims with its own timeout, detached from the client: a client
// that hangs up mid-claim must not leave a claim whose reply was lost. When
// the claim fails it may still have been applied, so its owner releases it
// (fenced by the owner token, so this can only remove our own claim, and
// the key does not stay stuck until its lease runs out).
func (m *Middleware) doClaim(rt *route, req store.ClaimRequest) (store.ClaimResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
	defer cancel()
	began := time.Now()
	res, err := m.store.Claim(ctx, req)
	m.metrics.storeDuration.WithLabelValues("claim").Observe(time.Since(began).Seconds())
	if err != nil {
		m.metrics.storeErrors.WithLabelValues("claim").Inc()
		// In the background: the client's 503 need not wait on a store that
		// is likely down.
		go func() {
			rctx, rcancel := context.WithTimeout(context.Background(), rt.policy.StoreTimeout)
			defer rcancel()
			_ = m.store.Release(rctx, req.Key, req.Owner)
		}()
	}
	return res, err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
