package client

import (
	"context"
	"fmt"
	"net/http"
)

// StopReason says why the transport stopped although the policy would have
// retried.
type StopReason string

// The stop reasons. The zero StopReason means the last answer was final.
const (
	StopMaxAttempts       StopReason = "max_attempts"        // Config.MaxAttempts reached
	StopMaxElapsed        StopReason = "max_elapsed"         // the next wait would end past Config.MaxElapsed
	StopDeadline          StopReason = "deadline"            // the next wait would end past the context's deadline
	StopCanceled          StopReason = "canceled"            // the context ended during a wait
	StopBodyNotRewindable StopReason = "body_not_rewindable" // the body was too large to buffer and has no GetBody
	StopNoKey             StopReason = "no_key"              // neither a key nor an idempotent method: never sent twice
)

// Result is what the transport learned about one request.
type Result struct {
	// Attempts is how many attempts were sent; 0 when the response did
	// not come through a Transport.
	Attempts int
	// Key is the idempotency key sent, empty when none was.
	Key string
	// Replayed reports Idempotent-Replayed: true: the server answered with
	// the stored result of an earlier request with this key.
	Replayed bool
	// Problem is the response's problem+json (a refusal's type, title and
	// detail); zero when it is not one.
	Problem Problem
	// GaveUp is why the transport stopped retrying; empty when the
	// response is the final answer by the policy.
	GaveUp StopReason
}

type resultCtx struct{}

// ResultOf returns what the transport learned about resp. For a response
// that did not come through a Transport it reads what the response itself
// says (Replayed, and Problem from a body not read yet, put back to read
// the same).
func ResultOf(resp *http.Response) Result {
	if resp.Request != nil {
		if r, ok := resp.Request.Context().Value(resultCtx{}).(*Result); ok {
			return *r
		}
	}
	p, _ := readProblem(resp)
	return Result{Replayed: Replayed(resp), Problem: p}
}

// Replayed reports whether resp is a replay of an earlier request's
// result (Idempotent-Replayed: true).
func Replayed(resp *http.Response) bool { return resp.Header.Get(ReplayedHeader) == "true" }

// withResult hangs r on resp, for ResultOf. The request is copied, never
// changed: the caller may still hold it.
func withResult(resp *http.Response, req *http.Request, r Result) {
	if resp.Request != nil {
		req = resp.Request
	}
	resp.Request = req.WithContext(context.WithValue(req.Context(), resultCtx{}, &r))
}

// GaveUpError is the error of a request whose last attempt failed without
// a response while the policy would have retried it. Whether the request
// took effect is unknown; sending it again with the same key is safe.
type GaveUpError struct {
	Attempts int
	Key      string
	Reason   StopReason
	Err      error // the last attempt's error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("client: gave up after %d attempt(s) (%s): %v", e.Attempts, e.Reason, e.Err)
}

func (e *GaveUpError) Unwrap() error { return e.Err }
