package upstream

import (
	"log/slog"
	"net/http"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// NewServer returns an http.Server with the configured timeouts: headers
// must arrive quickly (slowloris), idle keep-alives are closed, and the
// write timeout is off by default because the route's handler_timeout
// already bounds the upstream call.
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
