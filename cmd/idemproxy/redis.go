package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// startupCheckTimeout bounds the start-up PING and server check: a proxy
// whose Redis does not answer fails fast, so its orchestrator sees it.
const startupCheckTimeout = 10 * time.Second

// storedHeaderRoom is what a stored response may hold beyond its body:
// status and headers.
const storedHeaderRoom = 64 << 10

// openRedis connects to Redis, checks the server (an evicting
// maxmemory-policy is refused or warned, missing persistence reported, an
// ACL user without the key prefix's channels warned, a Redis older than the
// scripts need refused) and returns the store. maxBody is the largest
// response body any route keeps.
func openRedis(ctx context.Context, c proxyconfig.Redis, maxBody int64, log *slog.Logger) (store.Store, func(), error) {
	opts, err := c.Options()
	if err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	client := redisstore.NewClient(opts)
	fail := func(err error) (store.Store, func(), error) {
		_ = client.Close()
		return nil, nil, err
	}
	checkCtx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
	defer cancel()
	if err := client.Ping(checkCtx).Err(); err != nil {
		return fail(fmt.Errorf("redis at %v does not answer: %w", opts.Addrs, err))
	}
	report, err := redisstore.CheckServerWith(checkCtx, client, redisstore.CheckConfig{AllowEviction: c.Check == "warn", KeyPrefix: c.KeyPrefix})
	var evict *redisstore.EvictionError
	var version *redisstore.VersionError
	switch {
	case errors.As(err, &version):
		// First: "warn starts anyway" would be false for a server too old.
		return fail(fmt.Errorf("redis server check: %w", err))
	case errors.As(err, &evict):
		return fail(fmt.Errorf("%w (redis.check: warn starts anyway)", err))
	case err != nil:
		return fail(fmt.Errorf("redis server check: %w", err))
	}
	for _, w := range report.Warnings {
		log.Warn("redis: " + w)
	}
	st, err := redisstore.New(client, redisstore.Config{
		KeyPrefix:       c.KeyPrefix,
		MaxResponseSize: int(max(maxBody+storedHeaderRoom, redisstore.DefaultMaxResponseSize)),
	})
	if err != nil {
		return fail(fmt.Errorf("redis store: %w", err))
	}
	nodes := make([]string, 0, len(report.Nodes))
	for _, n := range report.Nodes {
		nodes = append(nodes, n.Addr+" "+n.Version+" "+n.MaxmemoryPolicy)
	}
	log.Info("using the Redis store", "addrs", opts.Addrs, "master_name", opts.MasterName, "cluster", opts.IsClusterMode, "nodes", nodes)
	return st, func() {
		_ = st.Close()
		_ = client.Close()
	}, nil
}
