package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/internal/upstream"
)

// ServeOptions configure the servers the harness starts as its children
// (idembench upstream|plain|idem).
type ServeOptions struct {
	// Listen is the address to serve on. Default: a free loopback port.
	Listen string
	// Config is the benchmark's idemproxy configuration file (plain, idem):
	// the plain proxy reads its upstream and server sections, exactly as
	// idemproxy does.
	Config string
	// Upstream and Redis override the file, as idemproxy's flags do.
	Upstream, Redis string
	// Admin, when set, is the address of a listener with net/http/pprof
	// and (idem) the middleware's /metrics. Default: none.
	Admin string
}

// readyLine is what every server prints once it listens; the harness
// waits for it and reads the addresses from it.
const readyLine = "idembench listening addr=%s admin=%s\n"

// ServeUpstream serves Upstream until ctx ends.
func ServeUpstream(ctx context.Context, o ServeOptions, stdout io.Writer) error {
	srv := &http.Server{Handler: Upstream(), ReadHeaderTimeout: 10 * time.Second}
	return serve(ctx, srv, o.Listen, o.Admin, nil, stdout)
}

// ServePlain serves the plain reverse proxy until ctx ends.
func ServePlain(ctx context.Context, o ServeOptions, stdout io.Writer) error {
	cfg, log, err := loadConfig(o)
	if err != nil {
		return err
	}
	target, err := url.Parse(cfg.Upstream.URL)
	if err != nil {
		return err
	}
	// Full duplex, as cmd/idemproxy serves its proxy: the baseline reads a
	// request body after the response began exactly as idemproxy does.
	srv := upstream.NewServer(upstream.FullDuplex(NewPlainProxy(target, cfg.Upstream, log)), cfg.Server, log)
	return serve(ctx, srv, o.Listen, o.Admin, nil, stdout)
}

// ServeIdem serves the profiling build of idemproxy (IdemHandler) until
// ctx ends; its admin listener adds /metrics to pprof.
func ServeIdem(ctx context.Context, o ServeOptions, stdout io.Writer) error {
	cfg, log, err := loadConfig(o)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, closeStore, err := IdemHandler(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	return serve(ctx, upstream.NewServer(h, cfg.Server, log), o.Listen, o.Admin, reg, stdout)
}

func loadConfig(o ServeOptions) (*proxyconfig.Config, *slog.Logger, error) {
	flags := map[string]string{}
	if o.Upstream != "" {
		flags["upstream"] = o.Upstream
	}
	if o.Redis != "" {
		flags["redis"] = o.Redis
	}
	cfg, err := proxyconfig.Load(proxyconfig.Sources{File: o.Config, Flags: flags})
	if err != nil {
		return nil, nil, err
	}
	return cfg, slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil
}

// serve runs srv on addr (and the admin listener on admin, when set),
// prints the ready line, and shuts down when ctx ends.
func serve(ctx context.Context, srv *http.Server, addr, admin string, reg *prometheus.Registry, stdout io.Writer) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	served := make(chan error, 2)
	adminAddr := "-"
	var adminSrv *http.Server
	if admin != "" {
		aln, err := net.Listen("tcp", admin)
		if err != nil {
			_ = ln.Close()
			return err
		}
		adminAddr = aln.Addr().String()
		adminSrv = &http.Server{Handler: adminMux(reg), ReadHeaderTimeout: 10 * time.Second}
		go func() { served <- adminSrv.Serve(aln) }()
	}
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, readyLine, ln.Addr(), adminAddr)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if adminSrv != nil {
		_ = adminSrv.Shutdown(sctx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// adminMux serves net/http/pprof, and /metrics when reg is set.
func adminMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if reg != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return mux
}
