package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestRetrySequences runs scripted servers under testing/synctest's fake
// clock: which answers are retried, when each attempt goes out, and what
// the caller gets when the bounds stop the retries.
func TestRetrySequences(t *testing.T) {
	t.Parallel()
	const s = time.Second
	tests := []struct {
		name    string
		cfg     Config
		timeout time.Duration // of the request's context; 0: none
		answers []answer

		wantStatus   int // 0: an error
		wantGaveUp   StopReason
		wantAttempts int
		wantAt       []time.Duration // when each attempt went out; nil: not checked
		maxElapsed   time.Duration   // bound on the time to return; 0: wantAt's last
	}{
		{name: "fresh 201", answers: []answer{created},
			wantStatus: 201, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "503s with Retry-After until 201", answers: []answer{problem(503, ProblemStoreUnavailable, "1"), problem(503, ProblemStoreUnavailable, "1"), created},
			wantStatus: 201, wantAttempts: 3, wantAt: []time.Duration{0, s, 2 * s}},
		{name: "409 in-progress waited out, then the replay", answers: []answer{problem(409, ProblemInProgress, "1"), replayed},
			wantStatus: 201, wantAttempts: 2, wantAt: []time.Duration{0, s}},
		{name: "transport error, then the replay after a jittered backoff", answers: []answer{{err: errReset}, replayed},
			wantStatus: 201, wantAttempts: 2, maxElapsed: DefaultInitialBackoff},
		{name: "502 upstream-unreachable", answers: []answer{problem(502, ProblemUpstreamUnreachable, "1"), created},
			wantStatus: 201, wantAttempts: 2, wantAt: []time.Duration{0, s}},
		{name: "425 then 201", answers: []answer{{status: 425, header: map[string]string{"Retry-After": "2"}}, created},
			wantStatus: 201, wantAttempts: 2, wantAt: []time.Duration{0, 2 * s}},
		{name: "429 with an HTTP-date Retry-After", answers: []answer{{status: 429, header: map[string]string{"Retry-After": "Sat, 01 Jan 2000 00:00:03 GMT"}}, created},
			wantStatus: 201, wantAttempts: 2, wantAt: []time.Duration{0, 3 * s}},
		{name: "Retry-After capped by MaxRetryAfter", cfg: Config{MaxRetryAfter: 2 * s}, answers: []answer{{status: 429, header: map[string]string{"Retry-After": "3600"}}, created},
			wantStatus: 201, wantAttempts: 2, wantAt: []time.Duration{0, 2 * s}},
		{name: "402 declined: not retried", answers: []answer{{status: 402, body: `{"type":"PaymentDeclined"}`}},
			wantStatus: 402, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "409 previously-failed: not retried", answers: []answer{problem(409, ProblemPreviouslyFailed, "")},
			wantStatus: 409, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "422 key-reused: not retried", answers: []answer{problem(422, ProblemKeyReused, "")},
			wantStatus: 422, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "a replayed 503: not retried", answers: []answer{{status: 503, header: map[string]string{"Idempotent-Replayed": "true", "Retry-After": "1"}}},
			wantStatus: 503, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "MaxAttempts", cfg: Config{MaxAttempts: 3}, answers: []answer{problem(503, ProblemStoreUnavailable, "1")},
			wantStatus: 503, wantGaveUp: StopMaxAttempts, wantAttempts: 3, wantAt: []time.Duration{0, s, 2 * s}},
		{name: "MaxAttempts 1 never retries", cfg: Config{MaxAttempts: 1}, answers: []answer{problem(503, ProblemStoreUnavailable, "1")},
			wantStatus: 503, wantGaveUp: StopMaxAttempts, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "transport errors until MaxAttempts", cfg: Config{MaxAttempts: 2}, answers: []answer{{err: errReset}},
			wantGaveUp: StopMaxAttempts, wantAttempts: 2, maxElapsed: DefaultInitialBackoff},
		{name: "MaxElapsed", cfg: Config{MaxElapsed: 2500 * time.Millisecond}, answers: []answer{problem(503, ProblemStoreUnavailable, "1")},
			wantStatus: 503, wantGaveUp: StopMaxElapsed, wantAttempts: 3, wantAt: []time.Duration{0, s, 2 * s}},
		{name: "deadline before the Retry-After: returns at once", timeout: 2 * s, answers: []answer{problem(503, ProblemStoreUnavailable, "5")},
			wantStatus: 503, wantGaveUp: StopDeadline, wantAttempts: 1, wantAt: []time.Duration{0}},
		{name: "deadline leaves room for one wait", timeout: 1500 * time.Millisecond, answers: []answer{problem(409, ProblemInProgress, "1")},
			wantStatus: 409, wantGaveUp: StopDeadline, wantAttempts: 2, wantAt: []time.Duration{0, s}},
		{name: "deadline before the backoff", timeout: time.Nanosecond, cfg: Config{InitialBackoff: time.Hour, MaxBackoff: time.Hour}, answers: []answer{{err: errReset}},
			wantGaveUp: StopDeadline, wantAttempts: 1, maxElapsed: time.Nanosecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFake(t, tc.answers...)
				tr := newTransport(t, f, tc.cfg)
				ctx := context.Background()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				start := time.Now()
				resp, err := tr.RoundTrip(newPost(t, `{"sku":"A"}`).WithContext(ctx))
				elapsed := time.Since(start)

				var res Result
				switch {
				case tc.wantStatus == 0:
					var gave *GaveUpError
					if !errors.As(err, &gave) || gave.Reason != tc.wantGaveUp || gave.Attempts != tc.wantAttempts {
						t.Fatalf("RoundTrip = %v, %v; want a *GaveUpError (%s, %d attempts)", resp, err, tc.wantGaveUp, tc.wantAttempts)
					}
					if !errors.Is(err, errReset) {
						t.Errorf("error %v does not wrap the last attempt's %v", err, errReset)
					}
				case err != nil:
					t.Fatalf("RoundTrip: %v, want %d", err, tc.wantStatus)
				default:
					res = ResultOf(resp)
					last := tc.answers[min(tc.wantAttempts, len(tc.answers))-1]
					if body := readAll(t, resp); resp.StatusCode != tc.wantStatus || body != last.body {
						t.Errorf("response = %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, last.body)
					}
					if res.Attempts != tc.wantAttempts || res.GaveUp != tc.wantGaveUp {
						t.Errorf("ResultOf = %+v, want %d attempts, GaveUp %q", res, tc.wantAttempts, tc.wantGaveUp)
					}
				}
				sent := f.attempts()
				if len(sent) != tc.wantAttempts {
					t.Errorf("the server saw %d attempts, want %d", len(sent), tc.wantAttempts)
				}
				if tc.wantAt != nil {
					for i, a := range sent {
						if i < len(tc.wantAt) && a.at != tc.wantAt[i] {
							t.Errorf("attempt %d went out at %v, want %v", i+1, a.at, tc.wantAt[i])
						}
					}
					if tc.maxElapsed == 0 && elapsed != tc.wantAt[len(tc.wantAt)-1] {
						t.Errorf("RoundTrip returned after %v, want %v (no wait after the last attempt)", elapsed, tc.wantAt[len(tc.wantAt)-1])
					}
				}
				if tc.maxElapsed > 0 && elapsed > tc.maxElapsed {
					t.Errorf("RoundTrip returned after %v, want at most %v", elapsed, tc.maxElapsed)
				}
				if tc.timeout > 0 && elapsed > tc.timeout {
					t.Errorf("RoundTrip returned after %v, past the context's deadline %v", elapsed, tc.timeout)
				}
			})
		})
	}
}

// TestCanceledDuringAWaitReturnsTheLastResponse cancels the request while
// the transport waits out a Retry-After: it returns at once, with the last
// response still readable.
func TestCanceledDuringAWaitReturnsTheLastResponse(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		busy := problem(409, ProblemInProgress, "10")
		f := newFake(t, busy)
		tr := newTransport(t, f, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		resp, err := tr.RoundTrip(newPost(t, "{}").WithContext(ctx))
		if err != nil {
			t.Fatalf("RoundTrip: %v, want the last response", err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("RoundTrip returned after %v, want 1s (when the context ended)", got)
		}
		res := ResultOf(resp)
		if body := readAll(t, resp); resp.StatusCode != 409 || body != busy.body || res.GaveUp != StopCanceled || res.Problem.Type != ProblemInProgress {
			t.Errorf("response = %d %q %+v, want the 409 in-progress, GaveUp canceled", resp.StatusCode, body, res)
		}
	})
}

// TestPolicyReplaced retries a 500 that DefaultPolicy would not, with the
// policy's own wait.
func TestPolicyReplaced(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFake(t, answer{status: 500}, created)
		var seen []Attempt
		tr := newTransport(t, f, Config{Policy: func(a Attempt) Decision {
			seen = append(seen, a)
			if a.Response != nil && a.Response.StatusCode == 500 {
				return Decision{Retry: true, Reason: "internal_error", Wait: 3 * time.Second}
			}
			return DefaultPolicy(a)
		}})
		resp, err := tr.RoundTrip(newPost(t, "{}"))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if sent := f.attempts(); resp.StatusCode != 201 || len(sent) != 2 || sent[1].at != 3*time.Second {
			t.Errorf("got %d after %d attempts (%+v), want 201 after 2, the second at 3s", resp.StatusCode, len(sent), sent)
		}
		if len(seen) != 2 || seen[0].Number != 1 || seen[1].Number != 2 || seen[0].Request.Header.Get("Idempotency-Key") == "" {
			t.Errorf("the policy saw %+v, want attempts 1 and 2 with their key", seen)
		}
	})
}

// TestConfigValidation refuses settings that have no meaning.
func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative MaxAttempts", Config{MaxAttempts: -1}},
		{"negative MaxBackoff", Config{MaxBackoff: -time.Second}},
		{"negative MaxRetryAfter", Config{MaxRetryAfter: -time.Second}},
		{"lower-case method", Config{Methods: []string{"post"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tc.cfg); err == nil {
				t.Errorf("New(%+v) = nil error, want one", tc.cfg)
			}
		})
	}
	if _, err := NewClient(Config{}); err != nil {
		t.Errorf("NewClient(Config{}) = %v, want the zero Config to be usable", err)
	}
}

// TestCloseIdleConnectionsReachesTheBase lets http.Client's
// CloseIdleConnections through.
func TestCloseIdleConnectionsReachesTheBase(t *testing.T) {
	t.Parallel()
	base := &closeCounter{}
	c, err := NewClient(Config{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	if base.n != 1 {
		t.Errorf("Base.CloseIdleConnections called %d times, want 1", base.n)
	}
}

type closeCounter struct {
	http.RoundTripper
	n int
}

func (c *closeCounter) CloseIdleConnections() { c.n++ }

// TestFinalTransportErrorIsReturnedAsIs: an error the policy does not
// retry (a refused certificate) comes back unwrapped, after one attempt.
func TestFinalTransportErrorIsReturnedAsIs(t *testing.T) {
	t.Parallel()
	cert := fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})
	f := newFake(t, answer{err: cert})
	_, err := newTransport(t, f, Config{}).RoundTrip(newPost(t, "{}"))
	var gave *GaveUpError
	if !errors.Is(err, cert) || errors.As(err, &gave) || len(f.attempts()) != 1 {
		t.Errorf("RoundTrip = %v after %d attempts, want %v after 1", err, len(f.attempts()), cert)
	}
}
