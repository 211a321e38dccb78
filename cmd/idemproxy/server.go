package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// adminWriteTimeout bounds an admin response: scrapes and probes are small.
const adminWriteTimeout = 30 * time.Second

// newServer returns an http.Server with the configured timeouts: headers
// must arrive quickly (slowloris), idle keep-alives are closed, and the
// write timeout is off by default because the route's handler_timeout
// already bounds the upstream call.
func newServer(h http.Handler, c proxyconfig.Server, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout.Std(),
		ReadTimeout:       c.ReadTimeout.Std(),
		WriteTimeout:      c.WriteTimeout.Std(),
		IdleTimeout:       c.IdleTimeout.Std(),
		MaxHeaderBytes:    int(c.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// shutdown stops accepting on both listeners and waits, up to timeout, for
// in-flight requests to finish. The middleware runs a claimed request
// detached from its client and records its result before the handler
// returns, so once Shutdown returns every result is recorded.
func shutdown(proxySrv, adminSrv *http.Server, draining *atomic.Bool, timeout time.Duration, log *slog.Logger) error {
	draining.Store(true)
	log.Info("shutting down: no new connections; waiting for in-flight requests", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// The admin listener stays up while the proxy drains, so /metrics and
	// /readyz (now failing) still answer; it closes last.
	err := proxySrv.Shutdown(ctx)
	if aerr := adminSrv.Shutdown(ctx); err == nil {
		err = aerr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		_ = proxySrv.Close()
		_ = adminSrv.Close()
		return fmt.Errorf("%w (server.shutdown_timeout %s)", errShutdownTimeout, timeout)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("shut down cleanly")
	return nil
}
