package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"time"
)

// Policy decides after each attempt whether to send the request again (with
// the same key). The transport calls it only while the request's context
// is live, and enforces MaxAttempts, MaxElapsed, the context's deadline and
// the body's rewindability itself, so a policy says only what it would
// like. Wrap DefaultPolicy to change one case:
//
//	func(a client.Attempt) client.Decision {
//		if a.Response != nil && a.Response.StatusCode == http.StatusInternalServerError {
//			return client.Decision{Retry: true, Reason: "internal_error"}
//		}
//		return client.DefaultPolicy(a)
//	}
type Policy func(Attempt) Decision

// Attempt is what one attempt came to.
type Attempt struct {
	// Request is the attempt as sent, its key header included.
	Request *http.Request
	// Number counts the attempts from 1.
	Number int
	// Response is the answer, nil when Err is set. Its body belongs to
	// the transport: do not read or close it (Problem holds what it said).
	Response *http.Response
	// Problem is the response's problem+json, zero when it is not one.
	Problem Problem
	// Err is the transport error, nil when a response came.
	Err error
}

// Decision is a Policy's answer.
type Decision struct {
	// Retry sends the request again, if the bounds allow.
	Retry bool
	// Reason labels the retry in metrics and in Retry; keep the set of
	// values small (it is a metric label).
	Reason string
	// Wait, when positive, is the wait before the retry. Zero: the
	// response's Retry-After, capped by MaxRetryAfter, else backoff.
	Wait time.Duration
}

// The reasons DefaultPolicy gives.
const (
	ReasonTransportError      = "transport_error"      // no response: refused, reset, timed out
	ReasonInProgress          = "in_progress"          // 409 problem-in-progress
	ReasonTooEarly            = "too_early"            // 425
	ReasonRateLimited         = "rate_limited"         // 429
	ReasonUpstreamUnreachable = "upstream_unreachable" // 502 problem-upstream-unreachable
	ReasonUnavailable         = "unavailable"          // 503
	ReasonRetryAfter          = "retry_after"          // another 5xx that says when to come back
)

// DefaultPolicy retries where sending the same request again with the same
// key is safe and may get another answer:
//
//   - a transport error, whether or not the request may have been sent (the
//     key makes a second delivery safe), except a certificate the client
//     rejected;
//   - 409 problem-in-progress (the first request still runs), 425, 429,
//     502 problem-upstream-unreachable (nothing was sent), 503;
//   - any other 5xx with a Retry-After header.
//
// It never retries a replay (Idempotent-Replayed: true is the recorded
// result, and every retry would replay it again), 2xx, 3xx, or any other
// 4xx: 400, 401, 403, 404, 413, 422, 409 previously-failed, abandoned,
// not-replayable or without a problem type, ... — a retry cannot change
// them.
func DefaultPolicy(a Attempt) Decision {
	if a.Err != nil {
		if permanent(a.Err) {
			return Decision{}
		}
		return Decision{Retry: true, Reason: ReasonTransportError}
	}
	resp := a.Response
	if resp.Header.Get(ReplayedHeader) == "true" {
		return Decision{}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusConflict && a.Problem.Type == ProblemInProgress:
		return Decision{Retry: true, Reason: ReasonInProgress}
	case code == http.StatusTooEarly:
		return Decision{Retry: true, Reason: ReasonTooEarly}
	case code == http.StatusTooManyRequests:
		return Decision{Retry: true, Reason: ReasonRateLimited}
	case code == http.StatusBadGateway && a.Problem.Type == ProblemUpstreamUnreachable:
		return Decision{Retry: true, Reason: ReasonUpstreamUnreachable}
	case code == http.StatusServiceUnavailable:
		return Decision{Retry: true, Reason: ReasonUnavailable}
	case code >= 500 && resp.Header.Get("Retry-After") != "":
		return Decision{Retry: true, Reason: ReasonRetryAfter}
	}
	return Decision{}
}

// permanent reports transport errors that no retry can change: the
// server's certificate was refused.
func permanent(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname)
}

// CheckRetry is DefaultPolicy with the signature of go-retryablehttp's
// CheckRetry, for a client that runs its own retry loop. It reads the body
// of a problem+json response to learn its type and puts back one that
// reads the same. Stamp the key on the request before that loop (see the
// package example), or each of its attempts would be a new request.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err == nil && resp == nil {
		return false, nil
	}
	a := Attempt{Response: resp, Err: err}
	if err == nil {
		a.Request = resp.Request
		if a.Problem, err = readProblem(resp); err != nil {
			a.Response, a.Err = nil, err
		}
	}
	return DefaultPolicy(a).Retry, nil
}
