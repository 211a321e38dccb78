package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// maxUpstreamProbe bounds the start-up probe of the upstream, so that a
// blackholed upstream delays the start by seconds at most.
const maxUpstreamProbe = 2 * time.Second

// warnIfUpstreamDown connects to the upstream once at start and warns when
// nothing answers there: a proxy put in front of an API that is not up yet
// starts anyway (the API may come later), but its requests would all get
// 502 upstream-unreachable, and the log should say why before they do.
func warnIfUpstreamDown(ctx context.Context, c proxyconfig.Upstream, log *slog.Logger) {
	u, err := url.Parse(c.URL) // validated by proxyconfig
	if err != nil {
		return
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	ctx, cancel := context.WithTimeout(ctx, min(c.DialTimeout.Std(), maxUpstreamProbe))
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		log.Warn("nothing answers at the upstream yet; until it does, covered requests get 502 upstream-unreachable (their keys released)",
			"upstream", c.URL, "err", err)
		return
	}
	_ = conn.Close()
}
