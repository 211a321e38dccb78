// Command idembench benchmarks idemproxy against a plain reverse proxy
// (make bench); see internal/bench.
//
//	idembench [run] -idemproxy bin/idemproxy [-conns 32] [-rounds 3] [-duration 5s] ...
//	idembench profile -out DIR [-duration 10s]   CPU and allocation profiles
//	idembench upstream|plain|idem [flags]       the servers run starts
//
// This package only wires flags to internal/bench.
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

	"github.com/idemproxy/idemproxy/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "idembench:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("idembench "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch sub {
	case "run":
		var o bench.Options
		fs.StringVar(&o.Idemproxy, "idemproxy", "bin/idemproxy", "the idemproxy binary to benchmark")
		fs.IntVar(&o.Conns, "conns", bench.DefaultConns, "wrk connections in the loaded runs")
		fs.IntVar(&o.Rounds, "rounds", bench.DefaultRounds, "interleaved rounds")
		fs.DurationVar(&o.Duration, "duration", bench.DefaultDuration, "each loaded run")
		fs.DurationVar(&o.Unloaded, "unloaded", bench.DefaultUnloaded, "each 1-connection run")
		fs.IntVar(&o.SlowConns, "slow-conns", bench.DefaultSlowConns, "wrk connections of the 2 ms upstream rows")
		fs.IntVar(&o.BigConns, "big-conns", bench.DefaultBigConns, "connections of the 1 MiB-body runs")
		fs.DurationVar(&o.BigDuration, "big-duration", bench.DefaultBigDuration, "each 1 MiB-body run")
		if err := fs.Parse(args); err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		o.Self, o.Progress = self, stderr
		rep, err := bench.Run(ctx, o)
		if err != nil {
			return err
		}
		rep.Print(stdout)
		return nil
	case "profile":
		var o bench.ProfileOptions
		fs.StringVar(&o.Out, "out", "", "directory for the profiles (required)")
		fs.IntVar(&o.Conns, "conns", bench.DefaultConns, "wrk connections")
		fs.DurationVar(&o.Duration, "duration", bench.DefaultProfileDuration, "each profiled run")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if o.Out == "" {
			return errors.New("profile: -out is required")
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		o.Self, o.Progress = self, stderr
		return bench.Profile(ctx, o, stdout)
	case "upstream", "plain", "idem":
		var o bench.ServeOptions
		fs.StringVar(&o.Listen, "listen", "127.0.0.1:0", "listen address")
		fs.StringVar(&o.Admin, "admin", "", "pprof (and, for idem, /metrics) listen address; empty: none")
		if sub != "upstream" {
			fs.StringVar(&o.Config, "config", "", "idemproxy configuration file")
			fs.StringVar(&o.Upstream, "upstream", "", "upstream URL (beats the file)")
		}
		if sub == "idem" {
			fs.StringVar(&o.Redis, "redis", "", "Redis URL (beats the file)")
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		serve := map[string]func(context.Context, bench.ServeOptions, io.Writer) error{
			"upstream": bench.ServeUpstream, "plain": bench.ServePlain, "idem": bench.ServeIdem,
		}[sub]
		return serve(ctx, o, stdout)
	default:
		return fmt.Errorf("unknown command %q: want run, profile, upstream, plain or idem", sub)
	}
}
