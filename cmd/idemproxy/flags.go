package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// options is the command line.
type options struct {
	config  string
	demo    bool
	version bool
	// healthcheck, when set, is a URL to probe instead of serving.
	healthcheck string
	// set are the configuration flags given, by name; they beat the
	// environment and the file.
	set map[string]string
}

// parseFlags parses args. The configuration flags come from
// proxyconfig.Overrides, so -help, the README and the loader agree.
func parseFlags(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("idemproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	defaultConfig, _ := lookupEnv("IDEMPROXY_CONFIG")
	fs.StringVar(&o.config, "config", defaultConfig, "YAML configuration file (IDEMPROXY_CONFIG); none: flags and environment only")
	fs.BoolVar(&o.demo, "demo", false, "front an in-process orderapp on a free loopback port instead of -upstream")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.healthcheck, "healthcheck", "", "GET this URL (e.g. http://127.0.0.1:9090/healthz), exit 0 on 200, 1 otherwise; for container health checks")
	for _, ov := range proxyconfig.Overrides {
		if ov.Flag != "" {
			fs.String(ov.Flag, "", ov.Usage+" ("+ov.Env+")")
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: idemproxy [-config config.yaml] [flags]\n\nFlags beat IDEMPROXY_* environment variables, which beat the file.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	o.set = map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "config", "demo", "version", "healthcheck":
		default:
			o.set[f.Name] = f.Value.String()
		}
	})
	if _, ok := o.set["upstream"]; ok && o.demo {
		return o, usageError{fmt.Errorf("-demo starts its own upstream: drop -upstream")}
	}
	return o, nil
}
