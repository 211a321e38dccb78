package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// The plain proxy is the baseline of every ratio, so it must differ from
// idemproxy only by the middleware. cmd/idemproxy's constructors are
// unexported (package main), so NewTransport, NewPlainProxy and NewServer
// replicate newTransport, newProxy and newServer of cmd/idemproxy/proxy.go
// and server.go field for field; they take the same proxyconfig sections,
// read from the same file. Keep them in step.

// NewTransport is cmd/idemproxy's newTransport: a keep-alive pool sized
// for load, bounded connects, no environment proxy.
func NewTransport(c proxyconfig.Upstream) *http.Transport {
	dialer := &net.Dialer{Timeout: c.DialTimeout.Std(), KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          c.MaxIdleConns,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
		MaxConnsPerHost:       c.MaxConnsPerHost,
		IdleConnTimeout:       c.IdleConnTimeout.Std(),
		TLSHandshakeTimeout:   c.DialTimeout.Std(),
		ResponseHeaderTimeout: c.ResponseHeaderTimeout.Std(),
		ExpectContinueTimeout: time.Second,
	}
}

// NewPlainProxy is cmd/idemproxy's newProxy less its ErrorHandler, which
// runs only when the upstream fails (never in the benchmark) and only
// writes problem+json: the same Rewrite (SetURL, SetXForwarded), transport
// and error log.
func NewPlainProxy(target *url.URL, transport http.RoundTripper, log *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport:  transport,
		BufferPool: newBufferPool(),
		ErrorLog:   slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// NewServer is cmd/idemproxy's newServer: the configured timeouts.
func NewServer(h http.Handler, c proxyconfig.Server, log *slog.Logger) *http.Server {
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
	proxy := NewPlainProxy(target, NewTransport(cfg.Upstream), log)
	if x.BufferPool {
		proxy.BufferPool = newBufferPool()
	}
	return mw.Handler(proxy), func() {
		_ = rs.Close()
		_ = client.Close()
	}, nil
}
