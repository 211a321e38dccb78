package upstream

import (
	"log/slog"
	"net/http"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// NewServer returns an http.Server with the configured timeouts: headers
// must arrive quickly (slowloris), idle keep-alives are closed, and a
// client that stops reading its response is cut off by the write timeout
// (covered routes sooner, by the middleware's handler_timeout +
// handler_grace).
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
