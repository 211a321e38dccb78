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

// storedHeaderRoom is what cmd/idemproxy lets a stored response hold
// beyond its body (status and headers); its own constant is unexported.
const storedHeaderRoom = 64 << 10

// IdemHandler wires what cmd/idemproxy wires for a Redis store (openRedis
// and run): the client from redisstore.NewClient, the store with the same
// key prefix and response size limit, the middleware with its metrics on
// reg, around the plain proxy, the whole under upstream.FullDuplex. It is
// the profiling build's handler (cmd/idemproxy cannot be profiled without
// changing it), so its profiles are the product's. Only the start-up
// server check (redisstore.CheckServerWith) is left out: it is off the
// request path. close releases the store and the client.
func IdemHandler(ctx context.Context, cfg *proxyconfig.Config, reg prometheus.Registerer, log *slog.Logger) (h http.Handler, close func(), err error) {
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
	st, err := redisstore.New(client, redisstore.Config{
		KeyPrefix:       cfg.Redis.KeyPrefix,
		MaxResponseSize: int(max(int64(cfg.MaxResponseBody())+storedHeaderRoom, redisstore.DefaultMaxResponseSize)),
	})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	mc := cfg.Middleware()
	mc.Registerer, mc.Logger = reg, log
	mw, err := middleware.New(st, mc)
	if err != nil {
		_ = st.Close()
		_ = client.Close()
		return nil, nil, err
	}
	target, err := url.Parse(cfg.Upstream.URL)
	if err != nil {
		_ = st.Close()
		_ = client.Close()
		return nil, nil, err
	}
	proxy := NewPlainProxy(target, cfg.Upstream, log)
	return upstream.FullDuplex(mw.Handler(proxy)), func() {
		_ = st.Close()
		_ = client.Close()
	}, nil
}
