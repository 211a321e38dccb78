package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// The plain proxy is the baseline of every ratio, so it must differ from
// idemproxy only by the middleware: it is built by the product's own
// constructors (internal/upstream), from the same proxyconfig sections read
// from the same file.

// NewPlainProxy is the plain proxy: cmd/idemproxy's reverse proxy
// (upstream.NewProxy over upstream.NewTransport) without the middleware. Its
// problem+json ErrorHandler runs only when the upstream fails, never in the
// benchmark.
func NewPlainProxy(target *url.URL, c proxyconfig.Upstream, log *slog.Logger) *httputil.ReverseProxy {
	return upstream.NewProxy(target, upstream.NewTransport(c), c, log)
}

// IdemHandler wires what cmd/idemproxy wires for a Redis store: the
// client from redisstore.NewClient, the store, the middleware with its
// metrics on reg, around the plain proxy. It is the profiling build's
// handler (cmd/idemproxy cannot be profiled without changing it);
// close releases the store and the client.
//
// x switches experiments on (see Experiments); the zero value is the
// product's wiring.
func IdemHandler(ctx context.Context, cfg *proxyconfig.Config, reg prometheus.Registerer, log *slog.Logger, x Experiments) (h http.Handler, close func(), err error) {
	if !cfg.UsesRedis() {
		return nil, nil, fmt.Errorf("the profiling build needs Redis (-redis)")
	}
	opts, err := cfg.Redis.Options()
	if err != nil {
		return nil, nil, err
	}
	client := redisstore.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	var sc redisstore.Client = client
	if x.Batch {
		sc = newBatchClient(client)
	}
	rs, err := redisstore.New(sc, redisstore.Config{KeyPrefix: cfg.Redis.KeyPrefix})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	var st store.Store = rs
	if x.ReplayCache {
		st = newCacheStore(rs)
	}
	mc := cfg.Middleware()
	mc.Registerer, mc.Logger = reg, log
	mw, err := middleware.New(st, mc)
	if err != nil {
		_ = rs.Close()
		_ = client.Close()
		return nil, nil, err
	}
	target, err := url.Parse(cfg.Upstream.URL)
	if err != nil {
		return nil, nil, err
	}
	proxy := NewPlainProxy(target, cfg.Upstream, log)
	return mw.Handler(proxy), func() {
		_ = rs.Close()
		_ = client.Close()
	}, nil
}
