package proxyconfig

import (
	"strconv"
)

// Override is a setting that an environment variable and, for some, a flag
// can set over the file.
type Override struct {
	// Env is the environment variable, Flag the flag name ("" for none),
	// Path the field's path in the file.
	Env, Flag, Path string
	// Usage describes the setting, for -help and the README.
	Usage string
	set   func(c *Config, v string) string // returns a problem, or ""
}

// Overrides lists every setting the environment and flags can override, in
// the order they are applied.
var Overrides = []Override{
	{Env: "IDEMPROXY_LISTEN", Flag: "listen", Path: "listen", Usage: "proxy listen address (default :8080)",
		set: func(c *Config, v string) string { c.Listen = v; return "" }},
	{Env: "IDEMPROXY_UPSTREAM", Flag: "upstream", Path: "upstream.url", Usage: "upstream base URL, e.g. http://127.0.0.1:8081",
		set: func(c *Config, v string) string { c.Upstream.URL = v; return "" }},
	{Env: "IDEMPROXY_REDIS", Flag: "redis", Path: "redis.url", Usage: "Redis URL (redis://, rediss://, unix://, Cluster or Sentinel form); empty: memory store",
		set: func(c *Config, v string) string {
			// The URL carries the topology: it replaces the file's.
			c.Redis.URL, c.Redis.Addrs, c.Redis.MasterName = v, nil, ""
			return ""
		}},
	{Env: "IDEMPROXY_REDIS_PASSWORD", Path: "redis.password", Usage: "Redis password (beats the URL's)",
		set: func(c *Config, v string) string { c.Redis.Password = v; return "" }},
	{Env: "IDEMPROXY_ADMIN_LISTEN", Flag: "admin-listen", Path: "admin.listen", Usage: "admin listen address (default 127.0.0.1:9090)",
		set: func(c *Config, v string) string { c.Admin.Listen = v; return "" }},
	{Env: "IDEMPROXY_ADMIN_TOKEN", Path: "admin.token", Usage: "bearer token of the admin record operations",
		set: func(c *Config, v string) string { c.Admin.Token = v; return "" }},
	{Env: "IDEMPROXY_LOG_FORMAT", Flag: "log-format", Path: "log.format", Usage: "log format: json or text (default json)",
		set: func(c *Config, v string) string { c.Log.Format = v; return "" }},
	{Env: "IDEMPROXY_LOG_LEVEL", Flag: "log-level", Path: "log.level", Usage: "log level: debug, info, warn or error (default info)",
		set: func(c *Config, v string) string { c.Log.Level = v; return "" }},
	{Env: "IDEMPROXY_LOG_REQUESTS", Path: "log.requests", Usage: "log one line per proxied request: true or false",
		set: func(c *Config, v string) string {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return "want true or false, got " + strconv.Quote(v)
			}
			c.Log.Requests = b
			return ""
		}},
}

// applyEnv applies the IDEMPROXY_* variables that are set.
func (c *Config) applyEnv(lookup func(string) (string, bool)) []string {
	var problems []string
	for _, o := range Overrides {
		v, ok := lookup(o.Env)
		if !ok {
			continue
		}
		c.origin[o.Path] = o.Env
		if p := o.set(c, v); p != "" {
			problems = append(problems, c.problem(o.Path, "%s", p))
		}
	}
	return problems
}

// applyFlags applies the flags that were set, by flag name.
func (c *Config) applyFlags(flags map[string]string) []string {
	var problems []string
	for _, o := range Overrides {
		v, ok := flags[o.Flag]
		if o.Flag == "" || !ok {
			continue
		}
		c.origin[o.Path] = "-" + o.Flag
		if p := o.set(c, v); p != "" {
			problems = append(problems, c.problem(o.Path, "%s", p))
		}
	}
	return problems
}
