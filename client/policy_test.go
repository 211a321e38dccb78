package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDefaultPolicy is the policy table: every status and problem type the
// contract names, and the replay and Retry-After cases.
func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		problem    string
		header     map[string]string
		err        error
		wantRetry  bool
		wantReason string
	}{
		{name: "transport error", err: errReset, wantRetry: true, wantReason: ReasonTransportError},
		{name: "refused connection", err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), wantRetry: true, wantReason: ReasonTransportError},
		{name: "certificate refused", err: fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})},
		{name: "201", status: 201},
		{name: "204", status: 204},
		{name: "303", status: 303},
		{name: "400 missing-key", status: 400, problem: ProblemMissingKey},
		{name: "400 invalid-key", status: 400, problem: ProblemInvalidKey},
		{name: "400 missing-scope", status: 400, problem: ProblemMissingScope},
		{name: "400 unreadable-body", status: 400, problem: ProblemUnreadableBody},
		{name: "400 from the upstream", status: 400},
		{name: "401", status: 401},
		{name: "402 payment declined", status: 402},
		{name: "403", status: 403},
		{name: "404", status: 404},
		{name: "405", status: 405},
		{name: "413 request-too-large", status: 413, problem: ProblemTooLarge},
		{name: "422 key-reused", status: 422, problem: ProblemKeyReused},
		{name: "409 in-progress", status: 409, problem: ProblemInProgress, header: map[string]string{"Retry-After": "1"}, wantRetry: true, wantReason: ReasonInProgress},
		{name: "409 in-progress without Retry-After", status: 409, problem: ProblemInProgress, wantRetry: true, wantReason: ReasonInProgress},
		{name: "409 previously-failed", status: 409, problem: ProblemPreviouslyFailed},
		{name: "409 abandoned", status: 409, problem: ProblemAbandoned},
		{name: "409 not-replayable", status: 409, problem: ProblemNotReplayable},
		{name: "409 out of stock (no problem type)", status: 409},
		{name: "409 untyped with Retry-After", status: 409, header: map[string]string{"Retry-After": "1"}},
		{name: "425", status: 425, wantRetry: true, wantReason: ReasonTooEarly},
		{name: "429", status: 429, header: map[string]string{"Retry-After": "2"}, wantRetry: true, wantReason: ReasonRateLimited},
		{name: "451", status: 451},
		{name: "500", status: 500},
		{name: "500 with Retry-After", status: 500, header: map[string]string{"Retry-After": "1"}, wantRetry: true, wantReason: ReasonRetryAfter},
		{name: "502 upstream-unreachable", status: 502, problem: ProblemUpstreamUnreachable, header: map[string]string{"Retry-After": "1"}, wantRetry: true, wantReason: ReasonUpstreamUnreachable},
		{name: "502 upstream-failed", status: 502, problem: ProblemUpstreamFailed},
		{name: "502 untyped", status: 502},
		{name: "503 store-unavailable", status: 503, problem: ProblemStoreUnavailable, header: map[string]string{"Retry-After": "1"}, wantRetry: true, wantReason: ReasonUnavailable},
		{name: "503 untyped", status: 503, wantRetry: true, wantReason: ReasonUnavailable},
		{name: "504 upstream-timeout", status: 504, problem: ProblemUpstreamTimeout},
		{name: "a replayed 503", status: 503, header: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "a replayed 201", status: 201, header: map[string]string{"Idempotent-Replayed": "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := Attempt{Number: 1, Err: tc.err}
			if tc.err == nil {
				h := http.Header{}
				for k, v := range tc.header {
					h.Set(k, v)
				}
				a.Response = &http.Response{StatusCode: tc.status, Header: h, Body: http.NoBody}
				a.Problem = Problem{Type: tc.problem, Status: tc.status}
			}
			got := DefaultPolicy(a)
			if got.Retry != tc.wantRetry || got.Reason != tc.wantReason || got.Wait != 0 {
				t.Errorf("DefaultPolicy = %+v, want Retry %v, Reason %q, no Wait", got, tc.wantRetry, tc.wantReason)
			}
		})
	}
}

// TestCheckRetryReadsTheProblemAndPutsTheBodyBack runs the
// go-retryablehttp adapter on real-looking responses.
func TestCheckRetryReadsTheProblemAndPutsTheBodyBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ans  answer
		ctx  func() context.Context
		want bool
	}{
		{name: "in progress", ans: problem(409, ProblemInProgress, "1"), want: true},
		{name: "previously failed", ans: problem(409, ProblemPreviouslyFailed, "")},
		{name: "created", ans: created},
		{name: "transport error", ans: answer{err: errReset}, want: true},
		{name: "context done", ans: problem(503, ProblemStoreUnavailable, "1"), ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx()
			}
			resp, err := newFake(t, tc.ans).RoundTrip(newPost(t, "{}"))
			got, cerr := CheckRetry(ctx, resp, err)
			if got != tc.want || (cerr != nil) != (ctx.Err() != nil) {
				t.Errorf("CheckRetry = %v, %v; want %v (an error only when the context is done)", got, cerr, tc.want)
			}
			if resp != nil {
				if body := readAll(t, resp); body != tc.ans.body {
					t.Errorf("body after CheckRetry = %q, want %q", body, tc.ans.body)
				}
			}
		})
	}
}

func TestReadProblem(t *testing.T) {
	t.Parallel()
	long := `{"type":"` + ProblemInProgress + `","title":"` + strings.Repeat("x", maxProblemBody) + `"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		wantType    string
	}{
		{name: "problem", contentType: "application/problem+json", body: `{"type":"` + ProblemKeyReused + `","status":422}`, wantType: ProblemKeyReused},
		{name: "with parameters", contentType: "application/problem+json; charset=utf-8", body: `{"type":"` + ProblemAbandoned + `"}`, wantType: ProblemAbandoned},
		{name: "plain JSON is not read", contentType: "application/json", body: `{"type":"PaymentDeclined"}`},
		{name: "malformed", contentType: "application/problem+json", body: `{"type":`},
		{name: "longer than the bound", contentType: "application/problem+json", body: long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: 409, Header: http.Header{"Content-Type": {tc.contentType}},
				Body: io.NopCloser(strings.NewReader(tc.body))}
			p, err := readProblem(resp)
			if err != nil || p.Type != tc.wantType {
				t.Errorf("readProblem = %+v, %v; want type %q", p, err, tc.wantType)
			}
			if tc.wantType != "" && p.Status == 0 {
				t.Errorf("Status = 0, want the response's when the body has none")
			}
			if got := readAll(t, resp); got != tc.body {
				t.Errorf("body after readProblem = %d bytes, want the %d sent", len(got), len(tc.body))
			}
		})
	}
}
