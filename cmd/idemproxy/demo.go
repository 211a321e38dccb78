package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/idemproxy/idemproxy/orderapp"
)

// demo is an in-process orderapp on a free loopback port, so that one
// command runs the product — the proxy in front of orderapp — on a machine
// with nothing but Go. Its listener is opened first, because its URL is the
// upstream the configuration is validated with.
type demo struct {
	ln  net.Listener
	srv *http.Server
	app *orderapp.App
}

func listenDemo() (*demo, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("demo orderapp: %w", err)
	}
	return &demo{ln: ln}, "http://" + ln.Addr().String(), nil
}

// serve starts orderapp on the listener.
func (d *demo) serve(log *slog.Logger) error {
	app, err := orderapp.New(orderapp.Options{Logger: log.With("component", "orderapp")})
	if err != nil {
		return fmt.Errorf("demo orderapp: %w", err)
	}
	d.app = app
	d.srv = &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(d.ln) }()
	log.Info("demo: orderapp running in process", "addr", d.ln.Addr().String(),
		"metrics", "http://"+d.ln.Addr().String()+"/metrics")
	return nil
}

// stop shuts orderapp down, after the proxy's shutdown: nothing is in
// flight any more. Then its outbox relay delivers what is pending.
func (d *demo) stop() {
	if d.srv == nil {
		_ = d.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
	_ = d.app.Shutdown(ctx)
}
