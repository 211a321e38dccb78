package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Exit statuses, documented in usage.
const (
	exitOK      = 0
	exitFailed  = 1 // a final 5xx, or an error retrying cannot fix
	exitUsage   = 2
	exitRefused = 3 // a final 4xx: the user must act
	exitGaveUp  = 4 // still retryable when -attempts or -timeout ran out
)

// defaultURL is the proxy's default listen address (config.yaml's listen).
const defaultURL = "http://localhost:8080"

const usageText = `orderctl places and reads orders of the demo order service through idemproxy,
retrying safely: one idempotency key per order, the same on every retry.

Usage:
  orderctl place [-f order.json | -f -] [-key K] [-url URL] [-timeout D] [-attempts N]
  orderctl get [-url URL] [-timeout D] [-attempts N] ID

place sends the order (JSON: customer_id, payment_token, lines) as POST /orders and
prints the receipt JSON. Its idempotency key is -key, else the order's
"idempotency_key" field (removed from the body sent), else a fresh one, printed on
stderr with the command that repeats the order safely. A retry, or a later run with
the same key, gets the first run's receipt: the order is placed and charged once.
get prints GET /orders/ID.

Transport errors, 409 in-progress, 429, 502 upstream-unreachable and 503 are retried
with the same key, waiting as Retry-After says (else a jittered backoff); refusals
are not.

Exit status:
  0  done: the receipt (or order) is on stdout; stderr says whether it is a new
     order or the replay of an earlier run with the same key
  1  the server failed (a 5xx that a retry with this key cannot change, such as
     504 upstream-timeout): stderr has its title and detail
  2  usage: bad flags or arguments, an unreadable or invalid order file
  3  refused (400 invalid order, 402 payment declined, 404, 409 out of stock or an
     earlier failure with this key, 422 key reused for another order, ...):
     stderr has the problem's title and detail; act on it, then use a new key
  4  gave up retrying: -attempts or -timeout ran out, or the server could not be
     reached; whether the order was placed is unknown, and repeating the same
     command (the same key) later is safe

Run "orderctl place -h" or "orderctl get -h" for the flags.
`

// common are the flags of every command.
type common struct {
	url      string
	timeout  time.Duration
	attempts int
	urlSet   bool // -url was given (the repeat command names it)
}

// newFlags returns the flag set of command name with the common flags. It
// prints nothing itself: parse prints the help when asked for it, and run
// reports errors in one line.
func newFlags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("orderctl "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.url, "url", defaultURL, "base URL of the API (idemproxy's listen address)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "bound on the whole command, every retry included")
	fs.IntVar(&c.attempts, "attempts", 5, "bound on the attempts, the first included (1: never retry)")
	return fs
}

// printHelp writes the usage and fs's flags.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageText, "\nFlags of ", fs.Name(), ":\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// usageError is a bad command line or order file (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// parse parses args, flags and positional arguments in any order, and
// checks the common flags.
func parse(fs *flag.FlagSet, args []string, c *common, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(stderr, fs)
				return nil, err
			}
			return nil, usagef("%v (%s -h for help)", err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	fs.Visit(func(f *flag.Flag) { c.urlSet = c.urlSet || f.Name == "url" })
	switch u, err := url.Parse(c.url); {
	case err != nil:
		return nil, usagef("-url: %v", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, usagef("-url %q: want http://host:port or https://host:port", c.url)
	case c.timeout <= 0:
		return nil, usagef("-timeout %v: want a positive duration", c.timeout)
	case c.attempts < 1:
		return nil, usagef("-attempts %d: want 1 or more", c.attempts)
	}
	return pos, nil
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
	code := exitOK
	switch args[0] {
	case "place":
		code, err = place(ctx, args[1:], stdin, stdout, stderr)
	case "get":
		code, err = get(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usageText)
		return exitOK
	default:
		err = usagef("unknown command %q: want place or get (orderctl -h)", args[0])
	}
	var usage usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "orderctl:", err)
		return exitUsage
	case err != nil:
		fmt.Fprintln(stderr, "orderctl:", err)
		return exitFailed
	}
	return code
}
