package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// adminWriteTimeout bounds an admin response: scrapes and probes are small.
const adminWriteTimeout = 30 * time.Second

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
