package middleware

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Outcome labels a request in metrics: what the middleware did with it.
type Outcome string

// The outcomes, as requests_total labels them.
const (
	OutcomeExecuted       Outcome = "executed"        // handler ran; completed or failed recorded
	OutcomeReleased       Outcome = "released"        // handler ran; record released
	OutcomeReplayed       Outcome = "replayed"        // stored response replayed
	OutcomeWaited         Outcome = "waited"          // waited for the owner, then replayed
	OutcomeConflict       Outcome = "conflict"        // 409 in progress
	OutcomeMismatch       Outcome = "mismatch"        // 422 key reused
	OutcomeFailedRejected Outcome = "failed_rejected" // 409 previously failed
	OutcomeAbandoned      Outcome = "abandoned"       // 409 owner died
	OutcomeNotReplayable  Outcome = "not_replayable"  // 409 response was too large to keep
	OutcomeBypassed       Outcome = "bypassed"        // no key on an optional route
	OutcomeInvalidKey     Outcome = "invalid_key"     // 400
	OutcomeMissingKey     Outcome = "missing_key"     // 400
	OutcomeMissingScope   Outcome = "missing_scope"   // 400
	OutcomeInvalidBody    Outcome = "invalid_body"    // 400 unreadable or ambiguous body
	OutcomeTooLarge       Outcome = "too_large"       // 413
	OutcomeStoreError     Outcome = "store_error"     // 503, or passed through in fail-open
)

// Outcomes returns every Outcome the middleware counts, for dashboards and
// tests that check them.
func Outcomes() []Outcome { return slices.Clone(allOutcomes) }

// storeOps are the store operations timed and counted in metrics.
var storeOps = []string{"claim", "renew", "finish", "release", "wait"}

// allOutcomes lists every Outcome, so each route's series are resolved once.
var allOutcomes = []Outcome{
	OutcomeExecuted, OutcomeReleased, OutcomeReplayed, OutcomeWaited, OutcomeConflict, OutcomeMismatch,
	OutcomeFailedRejected, OutcomeAbandoned, OutcomeNotReplayable, OutcomeBypassed, OutcomeInvalidKey,
	OutcomeMissingKey, OutcomeMissingScope, OutcomeInvalidBody, OutcomeTooLarge, OutcomeStoreError,
}

// metrics holds the collectors; they are always updated, and registered only
// on the caller's Registerer.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	// storeTime and storeFail are storeDuration's and storeErrors' series
	// of each operation, resolved once: store operations are on the hot
	// path.
	storeTime     map[string]prometheus.Observer
	storeFail     map[string]prometheus.Counter
	inFlight      *prometheus.GaugeVec
	responseBytes *prometheus.HistogramVec
	// pendingReleases and releasesDropped count the releases of given-up
	// claims (see releaser).
	pendingReleases prometheus.Gauge
	releasesDropped prometheus.Counter
}

const namespace = "idemproxy"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "Requests on covered routes, by route and outcome.",
		}, []string{"route", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Time from the request to the end of its response, by route and outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "outcome"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_operation_duration_seconds",
			Help:    "Latency of store operations, by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2},
		}, []string{"operation"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_errors_total",
			Help: "Store operations that failed (unreachable, timeout, bad reply), by operation.",
		}, []string{"operation"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "in_flight_requests",
			Help: "Claimed requests whose handler is running, by route.",
		}, []string{"route"}),
		responseBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "stored_response_bytes",
			Help:    "Body sizes of the responses stored for replay, by route.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 10), // 64 B .. 16 MiB
		}, []string{"route"}),
		pendingReleases: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "pending_releases",
			Help: "Claims given up on (the store did not answer in time) whose release is being retried.",
		}),
		releasesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "releases_dropped_total",
			Help: "Releases of given-up claims not attempted because too many were pending.",
		}),
	}
	if reg != nil {
		errs := []error{
			registerAs(reg, &m.requests), registerAs(reg, &m.duration),
			registerAs(reg, &m.storeDuration), registerAs(reg, &m.storeErrors),
			registerAs(reg, &m.inFlight), registerAs(reg, &m.responseBytes),
			registerAs(reg, &m.pendingReleases), registerAs(reg, &m.releasesDropped),
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("middleware: registering metrics: %w", err)
		}
	}
	// Every operation's series exist from the start, so alerts on store
	// errors have a zero to compare with before the first error.
	m.storeTime = make(map[string]prometheus.Observer, len(storeOps))
	m.storeFail = make(map[string]prometheus.Counter, len(storeOps))
	for _, op := range storeOps {
		m.storeTime[op] = m.storeDuration.WithLabelValues(op)
		m.storeFail[op] = m.storeErrors.WithLabelValues(op)
	}
	return m, nil
}

// storeTimed records how long the store operation op took.
func (m *metrics) storeTimed(op string, began time.Time) {
	m.storeTime[op].Observe(time.Since(began).Seconds())
}

// storeObserved is storeTimed with the trace of the request that ran op as
// the exemplar, when that trace is sampled.
func (m *metrics) storeObserved(op string, began time.Time, sc trace.SpanContext) {
	observe(m.storeTime[op], time.Since(began).Seconds(), sc)
}

// observe records v, with the trace as exemplar when it is sampled (an
// exemplar pointing at a trace nobody kept would lead nowhere). A sampled
// request pays for the label map; every other one pays one bit test.
func observe(o prometheus.Observer, v float64, sc trace.SpanContext) {
	if sc.IsSampled() {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	o.Observe(v)
}

// storeFailed counts a failed store operation op.
func (m *metrics) storeFailed(op string) { m.storeFail[op].Inc() }

// registerAs registers *c, or swaps in the collector already registered
// under its name: a second middleware on the same registry shares the
// first's collectors, so both count into one set of series.
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

// routeMetrics are one route's series, resolved at construction so the
// hot path does no label lookups.
type routeMetrics struct {
	requests      map[Outcome]prometheus.Counter
	duration      map[Outcome]prometheus.Observer
	inFlight      prometheus.Gauge
	responseBytes prometheus.Observer
}

func (m *metrics) forRoute(route string) *routeMetrics {
	rm := &routeMetrics{
		requests:      make(map[Outcome]prometheus.Counter, len(allOutcomes)),
		duration:      make(map[Outcome]prometheus.Observer, len(allOutcomes)),
		inFlight:      m.inFlight.WithLabelValues(route),
		responseBytes: m.responseBytes.WithLabelValues(route),
	}
	for _, o := range allOutcomes {
		rm.requests[o] = m.requests.WithLabelValues(route, string(o))
		rm.duration[o] = m.duration.WithLabelValues(route, string(o))
	}
	return rm
}

func (rm *routeMetrics) observe(o Outcome, start time.Time, sc trace.SpanContext) {
	rm.requests[o].Inc()
	observe(rm.duration[o], time.Since(start).Seconds(), sc)
}
