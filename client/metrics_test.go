package client

import (
	"net/http"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsAndOnRetry sends three requests — retried then placed, given
// up, refused — and checks the counters and the hook's calls.
func TestMetricsAndOnRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		var retries []Retry
		busy, failed := problem(503, ProblemStoreUnavailable, "1"), problem(409, ProblemPreviouslyFailed, "")
		f := newFake(t,
			busy, problem(409, ProblemInProgress, "2"), replayed, // 3 attempts, then the replay
			busy, busy, busy, // 3 attempts, gave up
			failed) // 1 attempt, refused
		tr := newTransport(t, f, Config{Registerer: reg, MaxAttempts: 3, OnRetry: func(r Retry) { retries = append(retries, r) }})
		for range 3 {
			resp, err := tr.RoundTrip(newPost(t, "{}"))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
		}

		m := tr.metrics
		for _, tc := range []struct {
			name string
			c    prometheus.Collector
			want float64
		}{
			{"attempts_total", m.attempts, 7},
			{`retries_total{reason="unavailable"}`, m.retries.WithLabelValues(ReasonUnavailable), 3},
			{`retries_total{reason="in_progress"}`, m.retries.WithLabelValues(ReasonInProgress), 1},
			{`requests_total{outcome="replayed"}`, m.requests.WithLabelValues(string(OutcomeReplayed)), 1},
			{`requests_total{outcome="gave_up"}`, m.requests.WithLabelValues(string(OutcomeGaveUp)), 1},
			{`requests_total{outcome="refused"}`, m.requests.WithLabelValues(string(OutcomeRefused)), 1},
			{`requests_total{outcome="succeeded"}`, m.requests.WithLabelValues(string(OutcomeSucceeded)), 0},
		} {
			if got := testutil.ToFloat64(tc.c); got != tc.want {
				t.Errorf("idemproxy_client_%s = %v, want %v", tc.name, got, tc.want)
			}
		}
		// Every default reason and outcome has a series from the start.
		if n := testutil.CollectAndCount(reg, "idemproxy_client_retries_total", "idemproxy_client_requests_total"); n != len(defaultReasons)+len(allOutcomes) {
			t.Errorf("%d series, want %d", n, len(defaultReasons)+len(allOutcomes))
		}

		var summary []string
		for _, r := range retries {
			if r.Key == "" || r.Request == nil || r.Request.Method != http.MethodPost {
				t.Errorf("Retry %+v: want the caller's request and its key", r)
			}
			summary = append(summary, r.Reason+" "+r.Wait.String()+" "+http.StatusText(r.Status))
		}
		wantSummary := []string{
			"unavailable 1s Service Unavailable", "in_progress 2s Conflict",
			"unavailable 1s Service Unavailable", "unavailable 1s Service Unavailable",
		}
		if !slices.Equal(summary, wantSummary) {
			t.Errorf("OnRetry saw %q, want %q", summary, wantSummary)
		}
		if retries[1].Attempt != 2 || retries[1].Problem.Type != ProblemInProgress {
			t.Errorf("second Retry = %+v, want attempt 2, problem in-progress", retries[1])
		}
	})
}

// TestMetricsShareARegistry: two transports on one registry count into one
// set of series; a foreign collector under the name is an error.
func TestMetricsShareARegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	for range 2 {
		resp, err := newTransport(t, newFake(t, created), Config{Registerer: reg}).RoundTrip(newPost(t, "{}"))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if got := testutil.ToFloat64(mustTransport(t, reg).metrics.requests.WithLabelValues(string(OutcomeSucceeded))); got != 2 {
		t.Errorf(`requests_total{outcome="succeeded"} = %v, want 2`, got)
	}

	other := prometheus.NewRegistry()
	other.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "idemproxy_client_attempts_total", Help: "not ours"}))
	if _, err := New(Config{Registerer: other}); err == nil {
		t.Errorf("New on a registry with a foreign idemproxy_client_attempts_total: nil error, want one")
	}
}

func mustTransport(t *testing.T, reg prometheus.Registerer) *Transport {
	t.Helper()
	tr, err := New(Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
