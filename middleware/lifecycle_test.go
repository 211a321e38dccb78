package middleware

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// step is one request of a lifecycle case and what it must get.
type step struct {
	name       string
	before     func(e *env) // e.g. move the clock, claim the key as another owner
	req        request
	wantStatus int
	wantType   ProblemType       // problem+json type, when the middleware answers
	wantHeader map[string]string // "" means the header must be absent
	wantBody   string            // substring of the body
	notBody    string            // must not be in the body
	// wantOutcome, when set, is counted once in requests_total by the step.
	wantOutcome Outcome
	replayed    bool   // Idempotent-Replayed: true, and the body equals that of step sameAs
	sameAs      int    // 1-based step whose body a replay repeats; default 1
	wantCalls   int64  // handler executions so far
	storeOps    *int64 // store operations so far, when set
}

func ops(n int64) *int64 { return &n }

var auth = func(v string) http.Header { return http.Header{"Authorization": {v}} }

const body1 = `{"customer_id":"c1","lines":[{"sku":"A","quantity":1}]}`

// TestLifecycle walks every row of the lifecycle (docs/architecture.md): each status code, header and
// policy the middleware answers with.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	ordersRequired := Route{Path: "/orders", Policy: Policy{Key: KeyRequired}}
	preClaim := func(e *env) { e.claimAsAnotherOwner("Bearer test-caller", "k1", body1) }
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{name: "uncovered method passes through without store access", steps: []step{
			{req: request{method: http.MethodGet, key: "k1"}, wantStatus: 201, wantCalls: 1, storeOps: ops(0)},
			{req: request{method: http.MethodGet, key: "k1"}, wantStatus: 201, wantCalls: 2, storeOps: ops(0), wantHeader: map[string]string{"Idempotent-Replayed": ""}},
		}},
		{name: "uncovered path passes through without store access", cfg: Config{Routes: []Route{ordersRequired}}, steps: []step{
			{req: request{path: "/payments"}, wantStatus: 201, wantCalls: 1, storeOps: ops(0)},
		}},
		{name: "optional route without key bypasses without store access", steps: []step{
			{req: request{body: body1}, wantStatus: 201, wantCalls: 1, storeOps: ops(0), wantOutcome: OutcomeBypassed},
			{req: request{body: body1}, wantStatus: 201, wantCalls: 2, storeOps: ops(0)},
		}},
		{name: "required key missing is 400", cfg: Config{Routes: []Route{ordersRequired}}, steps: []step{
			{req: request{body: body1}, wantStatus: 400, wantType: ProblemMissingKey, wantCalls: 0, storeOps: ops(0)},
		}},
		{name: "malformed keys are 400 and never reach the store", steps: []step{
			{req: request{lines: []string{""}}, wantStatus: 400, wantType: ProblemInvalidKey, storeOps: ops(0)},
			{req: request{key: strings.Repeat("k", 256)}, wantStatus: 400, wantType: ProblemInvalidKey, storeOps: ops(0)},
			{req: request{lines: []string{"a\x01b"}}, wantStatus: 400, wantType: ProblemInvalidKey, storeOps: ops(0)},
			{req: request{lines: []string{"a", "b"}}, wantStatus: 400, wantType: ProblemInvalidKey, storeOps: ops(0)},
			{req: request{lines: []string{`"open`}}, wantStatus: 400, wantType: ProblemInvalidKey, storeOps: ops(0)},
			{req: request{key: "{tag}:x"}, wantStatus: 201, wantCalls: 1},
		}},
		{name: "first request executes and a retry replays byte for byte", steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1, storeOps: ops(2),
				wantHeader: map[string]string{"Idempotent-Replayed": "", "Set-Cookie": "session=secret"}},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, wantCalls: 1, storeOps: ops(3),
				wantHeader: map[string]string{"Location": "/orders/1", "Content-Type": "application/json", "Set-Cookie": "", "Date": ""}},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, wantCalls: 1, storeOps: ops(3), // from this replica's cache
				wantHeader: map[string]string{"Location": "/orders/1", "Content-Type": "application/json", "Set-Cookie": "", "Date": ""}},
		}},
		{name: "without the replay cache a retry replays from the store", cfg: Config{ReplayCache: ReplayCache{MaxEntries: -1}}, steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1, storeOps: ops(2)},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, wantCalls: 1, storeOps: ops(3),
				wantHeader: map[string]string{"Location": "/orders/1", "Content-Type": "application/json", "Set-Cookie": "", "Date": ""}},
		}},
		{name: "sf-string and bare spell the same key", steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1},
			{req: request{key: `"k1"`, body: body1}, wantStatus: 201, replayed: true, wantCalls: 1},
		}},
		{name: "key reused for another request is 422", steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: `{"customer_id":"c1"}`}, wantStatus: 422, wantType: ProblemKeyReused, wantCalls: 1},
			{req: request{key: "k1", path: "/orders?dry=1", body: body1}, wantStatus: 422, wantType: ProblemKeyReused, wantCalls: 1},
		}},
		{name: "keys are scoped per caller", steps: []step{
			{req: request{key: "k1", body: body1, header: auth("Bearer alice")}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: auth("Bearer bob")}, wantStatus: 201, wantCalls: 2},
			{req: request{key: "k1", body: body1, header: auth("Bearer alice")}, wantStatus: 201, replayed: true, wantCalls: 2},
		}},
		{name: "json scope keys per body field", cfg: Config{Policy: Policy{Scope: "json:/customer_id"}}, steps: []step{
			{req: request{key: "k1", body: `{"customer_id":"c1","n":1}`}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: `{"customer_id":"c2","n":1}`}, wantStatus: 201, wantCalls: 2},
			{req: request{key: "k1", body: `{"n":1}`}, wantStatus: 400, wantType: ProblemMissingScope, wantCalls: 2},
			{req: request{key: "k1", body: `not json`}, wantStatus: 400, wantType: ProblemMissingScope, wantCalls: 2},
		}},
		{name: "canonical JSON ignores key order", cfg: Config{Policy: Policy{Body: BodyJSON}}, steps: []step{
			{req: request{key: "k1", body: `{"a":1,"b":2}`}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: `{ "b": 2, "a": 1 }`}, wantStatus: 201, replayed: true, wantCalls: 1},
		}},
		{name: "in progress elsewhere is 409 with Retry-After", steps: []step{
			{before: preClaim, req: request{key: "k1", body: body1}, wantStatus: 409, wantType: ProblemInProgress, wantCalls: 0,
				wantHeader: map[string]string{"Retry-After": "1"}}, // the owner's lease has 10s left; clients come back sooner
			{req: request{key: "k1", body: `{"other":1}`}, wantStatus: 422, wantType: ProblemKeyReused, wantCalls: 0},
		}},
		{name: "abandoned claim is 409 by default", steps: []step{
			{before: func(e *env) { preClaim(e); e.clock.Advance(11 * time.Second) },
				req: request{key: "k1", body: body1}, wantStatus: 409, wantType: ProblemAbandoned, wantCalls: 0},
		}},
		{name: "abandoned claim is taken over with on_abandoned retry", cfg: Config{Policy: Policy{OnAbandoned: AbandonedRetry}}, steps: []step{
			{before: func(e *env) { preClaim(e); e.clock.Advance(11 * time.Second) },
				req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, wantCalls: 1},
		}},
		{name: "failed status is 409 naming it, and never runs again", steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"402"}}}, wantStatus: 402, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"402"}}}, wantStatus: 409, wantType: ProblemPreviouslyFailed, wantBody: "status 402", wantCalls: 1},
		}},
		{name: "policy may replay a failure", cfg: Config{Policy: Policy{Statuses: map[string]Action{"5xx": ActionReplay}}}, steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"500"}}}, wantStatus: 500, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"500"}}}, wantStatus: 500, replayed: true, wantCalls: 1},
		}},
		{name: "released status lets the key be retried", steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"429"}}}, wantStatus: 429, wantCalls: 1, wantOutcome: OutcomeReleased},
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 2, wantOutcome: OutcomeExecuted},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, sameAs: 2, wantCalls: 2},
		}},
		{name: "route policy overrides status actions", cfg: Config{Routes: []Route{{PathPrefix: "/orders", Policy: Policy{Statuses: map[string]Action{"429": ActionFail}}}}}, steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"429"}}}, wantStatus: 429, wantCalls: 1},
			{req: request{key: "k1", body: body1}, wantStatus: 409, wantType: ProblemPreviouslyFailed, wantCalls: 1},
		}},
		{name: "request body past the limit is 413", cfg: Config{Policy: Policy{MaxRequestBody: 8}}, steps: []step{
			{req: request{key: "k1", body: "123456789"}, wantStatus: 413, wantType: ProblemTooLarge, wantCalls: 0, storeOps: ops(0)},
			{req: request{key: "k1", body: "12345678"}, wantStatus: 201, wantCalls: 1},
		}},
		{name: "response past the limit is delivered whole and never runs again", cfg: Config{Policy: Policy{MaxResponseBody: 16}}, steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantBody: `"fence":"`, wantCalls: 1},
			{req: request{key: "k1", body: body1}, wantStatus: 409, wantType: ProblemNotReplayable, wantCalls: 1},
		}},
		{name: "store down fails closed without calling the handler", steps: []step{
			{before: func(e *env) { e.spy.fail.Store(true) }, req: request{key: "k1", body: body1}, wantStatus: 503, wantType: ProblemStoreUnavailable,
				wantHeader: map[string]string{"Retry-After": "1"}, wantCalls: 0},
		}},
		{name: "store down fails open when configured", cfg: Config{Policy: Policy{FailMode: FailOpen}}, steps: []step{
			{before: func(e *env) { e.spy.fail.Store(true) }, req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1, wantOutcome: OutcomeStoreError},
			{before: func(e *env) { e.spy.fail.Store(false) }, req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 2, wantOutcome: OutcomeExecuted},
		}},
		{name: "scope none shares keys across callers", cfg: Config{Policy: Policy{Scope: "none"}}, steps: []step{
			{req: request{key: "k1", body: body1, header: auth("Bearer alice")}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: auth("Bearer bob")}, wantStatus: 201, replayed: true, wantCalls: 1},
		}},
		{name: "3xx is completed and replayed", steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"303"}}}, wantStatus: 303, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"303"}}}, wantStatus: 303, replayed: true, wantCalls: 1},
		}},
		{name: "declared body past the limit is 413 before reading", cfg: Config{Policy: Policy{MaxRequestBody: 8}}, steps: []step{
			{req: request{key: "k1", body: "1", contentLength: 9}, wantStatus: 413, wantType: ProblemTooLarge, storeOps: ops(0)},
		}},
		{name: "client-sent fencing token never reaches the handler", steps: []step{
			{req: request{body: body1, header: http.Header{"Idempotency-Fencing-Token": {"9223372036854775807"}}}, wantStatus: 201, wantBody: `"fence":""`, wantCalls: 1},
			{req: request{method: http.MethodGet, header: http.Header{"Idempotency-Fencing-Token": {"9223372036854775807"}}}, wantStatus: 201, wantBody: `"fence":""`, wantCalls: 2},
			{req: request{key: "k1", body: body1, header: http.Header{"Idempotency-Fencing-Token": {"9223372036854775807"}}}, wantStatus: 201, notBody: "9223372036854775807", wantCalls: 3},
		}},
		{name: "an empty exclude list replays Set-Cookie", cfg: Config{Policy: Policy{ReplayExcludeHeaders: []string{}}}, steps: []step{
			{req: request{key: "k1", body: body1}, wantStatus: 201, wantCalls: 1},
			{req: request{key: "k1", body: body1}, wantStatus: 201, replayed: true, wantCalls: 1,
				wantHeader: map[string]string{"Set-Cookie": "session=secret", "Date": "Sat, 28 Nov 2026 00:00:00 GMT"}},
		}},
		{name: "a route's class beats the Config's exact status", cfg: Config{
			Policy: Policy{Statuses: map[string]Action{"503": ActionFail}},
			Routes: []Route{{PathPrefix: "/", Policy: Policy{Statuses: map[string]Action{"5xx": ActionReplay}}}},
		}, steps: []step{
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"503"}}}, wantStatus: 503, wantCalls: 1},
			{req: request{key: "k1", body: body1, header: http.Header{"X-Want-Status": {"503"}}}, wantStatus: 503, replayed: true, wantCalls: 1},
		}},
		{name: "custom header name", cfg: Config{HeaderName: "X-Request-Key"}, steps: []step{
			{req: request{body: body1, header: http.Header{"X-Request-Key": {"k9"}}}, wantStatus: 201, wantCalls: 1},
			{req: request{body: body1, header: http.Header{"X-Request-Key": {"k9"}}}, wantStatus: 201, replayed: true, wantCalls: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg, nil)
			bodies := make([][]byte, len(tc.steps))
			for i, s := range tc.steps {
				if s.before != nil {
					s.before(e)
				}
				want := s.wantOutcome
				switch {
				case want != "":
				case s.replayed:
					want = OutcomeReplayed
				case s.wantType != "":
					want = problemOutcomes[s.wantType]
				}
				var before float64
				if want != "" {
					before = e.outcomeTotal(want)
				}
				w := e.do(s.req)
				if want != "" {
					if got := e.outcomeTotal(want) - before; got != 1 {
						t.Errorf("step %d: requests_total{outcome=%s} grew by %v, want 1", i+1, want, got)
					}
				}
				bodies[i] = w.Body.Bytes()
				where := fmt.Sprintf("step %d", i+1)
				if w.Code != s.wantStatus {
					t.Fatalf("%s: status = %d, want %d; body %s", where, w.Code, s.wantStatus, w.Body)
				}
				if s.wantType != "" {
					checkProblem(t, where, w.Result().Header, w.Body.Bytes(), s.wantType, s.wantStatus)
				}
				for k, want := range s.wantHeader {
					if got := w.Header().Get(k); got != want {
						t.Errorf("%s: header %s = %q, want %q", where, k, got, want)
					}
				}
				if s.replayed {
					if got := w.Header().Get("Idempotent-Replayed"); got != "true" {
						t.Errorf("%s: Idempotent-Replayed = %q, want true", where, got)
					}
					if want := bodies[max(s.sameAs, 1)-1]; w.Body.String() != string(want) {
						t.Errorf("%s: replayed body %q, want %q", where, w.Body, want)
					}
					if got := w.Header().Values("X-Multi"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
						t.Errorf("%s: replayed X-Multi = %q, want [a b]", where, got)
					}
				}
				if s.wantBody != "" && !strings.Contains(w.Body.String(), s.wantBody) {
					t.Errorf("%s: body %q does not contain %q", where, w.Body, s.wantBody)
				}
				if s.notBody != "" && strings.Contains(w.Body.String(), s.notBody) {
					t.Errorf("%s: body %q contains %q", where, w.Body, s.notBody)
				}
				if got := e.calls.Load(); got != s.wantCalls {
					t.Errorf("%s: handler ran %d times, want %d", where, got, s.wantCalls)
				}
				if s.storeOps != nil {
					if got := e.spy.ops.Load(); got != *s.storeOps {
						t.Errorf("%s: %d store operations, want %d", where, got, *s.storeOps)
					}
				}
			}
		})
	}
}

// problemOutcomes is the outcome each problem is counted as.
var problemOutcomes = map[ProblemType]Outcome{
	ProblemMissingKey: OutcomeMissingKey, ProblemInvalidKey: OutcomeInvalidKey, ProblemMissingScope: OutcomeMissingScope,
	ProblemUnreadableBody: OutcomeInvalidBody, ProblemTooLarge: OutcomeTooLarge, ProblemKeyReused: OutcomeMismatch,
	ProblemInProgress: OutcomeConflict, ProblemAbandoned: OutcomeAbandoned, ProblemPreviouslyFailed: OutcomeFailedRejected,
	ProblemNotReplayable: OutcomeNotReplayable, ProblemStoreUnavailable: OutcomeStoreError,
}

func checkProblem(t *testing.T, where string, h http.Header, body []byte, wantType ProblemType, wantStatus int) {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", where, ct)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: problem body %q: %v", where, body, err)
	}
	if p.Type != string(wantType) || p.Status != wantStatus || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: problem = %+v, want type %s, status %d, a title and a detail", where, p, wantType, wantStatus)
	}
}
