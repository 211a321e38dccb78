package client

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome labels a request in idemproxy_client_requests_total: how it
// ended, after all its attempts.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded" // a fresh 1xx–3xx
	OutcomeReplayed  Outcome = "replayed"  // Idempotent-Replayed: true
	OutcomeRefused   Outcome = "refused"   // a final 4xx or 5xx the policy does not retry
	OutcomeGaveUp    Outcome = "gave_up"   // still retryable when a bound stopped it
	OutcomeFailed    Outcome = "failed"    // a transport error the policy does not retry
)

var allOutcomes = []Outcome{OutcomeSucceeded, OutcomeReplayed, OutcomeRefused, OutcomeGaveUp, OutcomeFailed}

// defaultReasons have their series from the start, so a rate over them has
// a zero to start from.
var defaultReasons = []string{
	ReasonTransportError, ReasonInProgress, ReasonTooEarly, ReasonRateLimited,
	ReasonUpstreamUnreachable, ReasonUnavailable, ReasonRetryAfter,
}

// metrics are the transport's counters; nil when no Registerer was given.
type metrics struct {
	attempts prometheus.Counter
	retries  *prometheus.CounterVec
	requests *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	const ns, sub = "idemproxy", "client"
	m := &metrics{
		attempts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "attempts_total",
			Help: "Requests sent, every attempt counted.",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "retries_total",
			Help: "Attempts sent again with the same key, by the policy's reason.",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "Requests, once all their attempts are done, by outcome.",
		}, []string{"outcome"}),
	}
	if err := errors.Join(registerAs(reg, &m.attempts), registerAs(reg, &m.retries), registerAs(reg, &m.requests)); err != nil {
		return nil, fmt.Errorf("client: registering metrics: %w", err)
	}
	for _, r := range defaultReasons {
		m.retries.WithLabelValues(r)
	}
	for _, o := range allOutcomes {
		m.requests.WithLabelValues(string(o))
	}
	return m, nil
}

// registerAs registers *c, or swaps in the collector already registered
// under its name, so that transports on one registry share their series.
func registerAs[T prometheus.Collector](reg prometheus.Registerer, c *T) error {
	err := reg.Register(*c)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		return err
	}
	existing, ok := are.ExistingCollector.(T)
	if !ok {
		return fmt.Errorf("%T is registered where %T was expected", are.ExistingCollector, *c)
	}
	*c = existing
	return nil
}

func (m *metrics) attempt() {
	if m != nil {
		m.attempts.Inc()
	}
}

func (m *metrics) retry(reason string) {
	if m != nil {
		m.retries.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) done(o Outcome) {
	if m != nil {
		m.requests.WithLabelValues(string(o)).Inc()
	}
}
