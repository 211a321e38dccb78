package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// openStore opens the configured store: Redis when a URL or addresses are
// set, else the in-process memory store, whose metrics go on reg. close
// releases it after shutdown.
func openStore(ctx context.Context, c *proxyconfig.Config, log *slog.Logger, reg prometheus.Registerer) (st store.Store, close func(), err error) {
	if c.UsesRedis() {
		return openRedis(ctx, c.Redis, int64(c.MaxResponseBody()), log)
	}
	log.Warn("no Redis configured: using the in-process memory store; records live only as long as this process and are not shared between replicas (set -redis or IDEMPROXY_REDIS for production)",
		"max_records", c.Memory.MaxRecords, "min_age", c.Memory.MinAge.Std().String(), "max_bytes", int64(c.Memory.MaxBytes))
	ms, err := memstore.New(memstore.Config{
		MaxRecords: c.Memory.MaxRecords,
		MinAge:     c.Memory.MinAge.Std(),
		MaxBytes:   int64(c.Memory.MaxBytes),
		Registerer: reg,
		Logger:     log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("memory store: %w", err)
	}
	return ms, func() {}, nil
}
