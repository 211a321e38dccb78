// Command orderctl places and reads orders of the demo order service
// (orderapp) over HTTP, through idemproxy, with the retrying transport of
// package client: the seed's CLI adapter as a real client of the API.
//
//	orderctl place [-f order.json | -f -] [-key K] [-url URL] [-timeout D] [-attempts N]
//	orderctl get [-url URL] [-timeout D] [-attempts N] ID
//
// place sends the order as POST /orders and prints the receipt JSON. Its
// idempotency key is -key, else the order's "idempotency_key" field (the
// seed's; removed from the body sent), else a fresh one, printed on stderr
// with the command that repeats the order safely. Every retry, and every
// later run with the same key, gets the first run's receipt: the order is
// placed and charged once. The body sent is the order's JSON re-encoded
// (compact, top-level fields sorted), so that runs with the key in the file
// and with -key send the same bytes.
//
// `orderctl -h` lists the exit statuses: 0 done, 1 server failure, 2 usage,
// 3 refused, 4 gave up retrying.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
