// Command idemproxy is the standalone idempotency proxy (docs/architecture.md): an
// httputil.ReverseProxy in front of an API in any language, wrapped by the
// idempotency middleware, with its records in Redis or in memory.
//
//	idemproxy -config config.yaml [-listen :8080] [-upstream URL]
//	          [-redis URL] [-admin-listen 127.0.0.1:9090]
//	idemproxy -config config.yaml -demo   # fronts an in-process orderapp
//	idemproxy -version
//
// Flags beat IDEMPROXY_* environment variables, which beat the file (see
// internal/proxyconfig and the README). The admin listener serves /metrics,
// /healthz, /readyz and the operators' record operations. SIGTERM or SIGINT
// stops accepting, lets in-flight requests finish and record, and exits 0.
//
// This package only wires: configuration, store, middleware, proxy,
// listeners and shutdown, one concern per file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr), os.Stderr))
}

// usageError is a bad command line or configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode reports err on stderr and returns the process's exit status.
func exitCode(err error, stderr io.Writer) int {
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "idemproxy:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "idemproxy:", err)
		return 1
	}
}
