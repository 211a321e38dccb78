package memstore

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the store's Prometheus series, on Config.Registerer. A nil
// *metrics (no Registerer) counts nothing.
type metrics struct {
	evictions prometheus.Counter
	refusals  prometheus.Counter
}

// newMetrics registers the store's series on reg; the gauges read s when
// scraped.
func newMetrics(reg prometheus.Registerer, s *Store) (*metrics, error) {
	m := &metrics{
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "idemproxy", Subsystem: "memstore", Name: "evictions_total",
			Help: "Finished records the memory store forgot before their ttl to make room for a new key: a retry of such a key runs again.",
		}),
		refusals: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "idemproxy", Subsystem: "memstore", Name: "full_refusals_total",
			Help: "New keys the memory store refused (ErrFull) because it was full and could forget nothing: every record in progress or younger than min_age.",
		}),
	}
	collectors := []prometheus.Collector{
		m.evictions,
		m.refusals,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "idemproxy", Subsystem: "memstore", Name: "records",
			Help: "Records the memory store holds, in any state (expired ones not yet dropped included).",
		}, func() float64 { return float64(s.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "idemproxy", Subsystem: "memstore", Name: "max_records",
			Help: "The memory store's bound on records (max_records).",
		}, func() float64 { return float64(s.maxRecords) }),
	}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("memstore: registering metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) evicted() {
	if m != nil {
		m.evictions.Inc()
	}
}

func (m *metrics) refused() {
	if m != nil {
		m.refusals.Inc()
	}
}
