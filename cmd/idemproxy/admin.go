package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idemproxy/idemproxy/store"
)

// readyTimeout bounds the store ping behind /readyz, below the usual probe
// timeout so the probe gets an answer rather than timing out itself.
const readyTimeout = 900 * time.Millisecond

// admin is the operators' listener.
type admin struct {
	reg      *prometheus.Registry
	store    store.Store
	records  http.Handler
	log      *slog.Logger
	draining *atomic.Bool // set on SIGTERM: /readyz fails so traffic drains
}

func (a *admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		Registry: a.reg, // promhttp's own metrics, on our registry
		// Exemplars (the trace of a sampled request on a latency bucket)
		// exist only in OpenMetrics, served to a scraper that asks for it.
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Liveness: the process serves. The store is /readyz's business: a
		// Redis outage must not get every replica restarted.
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("/records", a.records)
	return mux
}

// readyz reports whether the proxy should get traffic: not draining, and the
// store reachable and able to take new keys (fail closed would answer 503
// to every covered request). A memory store full of records it may not
// forget answers "store full".
func (a *admin) readyz(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		plain(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	switch err := a.store.Ping(ctx); {
	case errors.Is(err, store.ErrFull):
		// Reachable, but every new key would be refused (store-full).
		a.log.Warn("readyz: store full", "err", err)
		plain(w, http.StatusServiceUnavailable, "store full\n")
		return
	case err != nil:
		a.log.Warn("readyz: store unreachable", "err", err)
		plain(w, http.StatusServiceUnavailable, "store unreachable\n")
		return
	}
	plain(w, http.StatusOK, "ok\n")
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
