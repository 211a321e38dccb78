// Command orderapp serves the demo order service (docs/architecture.md): the seed's
// PlaceOrder service on in-memory fakes, with no idempotency of its own.
//
//	orderapp [-listen 127.0.0.1:8081] [-stock SKU=N,...] [-default-stock N]
//	         [-latency D] [-fail-persist] [-fail-publish]
//	         [-publish outbox|direct] [-drain-timeout D]
//
// It wires flags to orderapp.New and serves the result until SIGINT or
// SIGTERM, then stops accepting, lets in-flight requests finish, and gives
// the outbox relay up to -drain-timeout to deliver the events still
// pending; events it could not deliver make the exit status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/orderapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "orderapp:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "orderapp:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Server timeouts. The write timeout grows with -latency so that a slow
// order is never cut off by the server itself.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 10 * time.Second
	drainTimeout      = 5 * time.Second
)

// run serves until ctx ends. ready, when set, is told the bound address
// (tests listen on port 0).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(net.Addr)) error {
	fs := flag.NewFlagSet("orderapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve on")
	stock := stockFlag{}
	fs.Var(stock, "stock", "initial stock of listed SKUs, as SKU=N,SKU=N (repeatable)")
	defaultStock := fs.Int64("default-stock", orderapp.DefaultStock, "initial stock of every SKU not in -stock")
	latency := fs.Duration("latency", 0, "delay inside each valid POST /orders, after validation")
	failPersist := fs.Bool("fail-persist", false, "make every save fail (500, after refund and release)")
	failPublish := fs.Bool("fail-publish", false, "make every OrderPlaced publish fail (outbox: the events wait; direct: 503, order kept)")
	publish := orderapp.PublishOutbox
	fs.TextVar(&publish, "publish", publish, "how OrderPlaced leaves: outbox (saved with the order, relayed at least once) or direct (inline, the seed's)")
	drain := fs.Duration("drain-timeout", drainTimeout, "how long shutdown waits for the outbox relay to deliver pending events")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *drain < 0 {
		return usageError{fmt.Errorf("-drain-timeout %v is negative", *drain)}
	}
	if *defaultStock < 0 {
		return usageError{fmt.Errorf("-default-stock %d is negative", *defaultStock)}
	}
	if *defaultStock == 0 {
		// orderapp.Options reads 0 as "the default"; on the command line
		// 0 means what it says.
		*defaultStock = orderapp.NoStock
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := orderapp.New(orderapp.Options{
		Stock:        stock,
		DefaultStock: *defaultStock,
		Latency:      *latency,
		FailPersist:  *failPersist,
		FailPublish:  *failPublish,
		Publish:      publish,
		Logger:       logger,
	})
	if err != nil {
		return usageError{err}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout + *latency,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("orderapp listening", "addr", ln.Addr().String(), "latency", *latency,
		"fail_persist", *failPersist, "fail_publish", *failPublish, "publish", publish)
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("orderapp shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout+*latency)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	// Only now, with no request left to save an order, is the outbox
	// drained for good.
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), *drain)
	defer cancelDrain()
	if err := a.Shutdown(drainCtx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	return errors.Join(errs...)
}
