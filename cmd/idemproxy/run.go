package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/middleware"
)

// run is the whole program; it returns when ctx ends (SIGTERM, SIGINT) and
// the servers have shut down, or on a start-up error.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, lookupEnv, stderr)
	if err != nil {
		return err
	}
	if opts.version {
		printVersion(stdout)
		return nil
	}
	if opts.healthcheck != "" {
		return healthcheck(ctx, opts.healthcheck)
	}
	var dm *demo
	if opts.demo {
		var demoURL string
		if dm, demoURL, err = listenDemo(); err != nil {
			return err
		}
		defer dm.stop()
		opts.set["upstream"] = demoURL
	}
	cfg, err := proxyconfig.Load(proxyconfig.Sources{File: opts.config, LookupEnv: lookupEnv, Flags: opts.set})
	if err != nil {
		return usageError{err}
	}
	log := newLogger(cfg.Log, stderr)
	if dm != nil {
		if err := dm.serve(log); err != nil {
			return err
		}
	} else {
		warnIfUpstreamDown(ctx, cfg.Upstream, log)
	}
	if cfg.Server.ShutdownTimeout < cfg.MaxHandlerTime() {
		log.Warn("server.shutdown_timeout is shorter than the longest handler_timeout + handler_grace: a SIGTERM may cut requests whose results then go unrecorded",
			"shutdown_timeout", cfg.Server.ShutdownTimeout.Std().String(), "handler_time", cfg.MaxHandlerTime().Std().String())
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	st, closeStore, err := openStore(ctx, cfg, log, reg)
	if err != nil {
		return err
	}
	defer closeStore()

	mc := cfg.Middleware()
	mc.Registerer, mc.Logger = reg, log
	mw, err := middleware.New(st, mc)
	if err != nil {
		return usageError{err} // proxyconfig validates first; this is a gap in it
	}
	tr, err := startTracing(ctx, lookupEnv)
	if err != nil {
		return usageError{err}
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
		defer cancel()
		if err := tr.shutdown(ctx); err != nil {
			log.Warn("tracing: spans not flushed at exit", "err", err)
		}
	}()
	target, _ := url.Parse(cfg.Upstream.URL) // validated by proxyconfig
	var handler http.Handler = upstream.FullDuplex(mw.Handler(upstream.NewProxy(target, tr.transport(upstream.NewTransport(cfg.Upstream)), cfg.Upstream, log)))
	if cfg.Log.Requests {
		handler = requestLog(handler, log, orDefault(cfg.Idempotency.Header, "Idempotency-Key"))
	}
	handler = tr.handler(handler)

	draining := new(atomic.Bool)
	adm := &admin{reg: reg, store: st, log: log, draining: draining,
		records: &records{token: cfg.Admin.Token, mw: mw, store: st, log: log}}
	proxySrv := upstream.NewServer(handler, cfg.Server, log)
	adminSrv := upstream.NewServer(adm.handler(), cfg.Server, log)
	adminSrv.WriteTimeout = adminWriteTimeout

	proxyLn, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("proxy listener: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		_ = proxyLn.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	served := make(chan error, 2)
	go func() { served <- proxySrv.Serve(proxyLn) }()
	go func() { served <- adminSrv.Serve(adminLn) }()
	log.Info("listening", "addr", proxyLn.Addr().String(), "admin_addr", adminLn.Addr().String(),
		"upstream", cfg.Upstream.URL, "routes", mw.RouteNames(), "record_ops", cfg.Admin.Token != "")

	select {
	case err := <-served:
		// A server stopped on its own: report it and bring the other down.
		_ = proxySrv.Close()
		_ = adminSrv.Close()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	return shutdown(proxySrv, adminSrv, draining, cfg.Server.ShutdownTimeout.Std(), log)
}

// tracingFlushTimeout bounds the flush of the last spans at exit.
const tracingFlushTimeout = 5 * time.Second

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// errShutdownTimeout reports requests cut by the shutdown deadline.
var errShutdownTimeout = errors.New("shutdown timed out with requests still in flight")
