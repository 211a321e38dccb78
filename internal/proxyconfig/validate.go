package proxyconfig

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// validate reports every problem of a config whose defaults are filled.
func (c *Config) validate() []string {
	v := &validator{c: c}
	v.address("listen", c.Listen)
	v.address("admin.listen", c.Admin.Listen)
	if c.Listen == c.Admin.Listen && !strings.HasSuffix(c.Listen, ":0") { // :0 picks two free ports
		v.bad("admin.listen", "must differ from listen (%s)", c.Listen)
	}
	v.upstream()
	for path, d := range map[string]Duration{
		"server.read_header_timeout": c.Server.ReadHeaderTimeout,
		"server.read_timeout":        c.Server.ReadTimeout,
		"server.write_timeout":       c.Server.WriteTimeout,
		"server.idle_timeout":        c.Server.IdleTimeout,
		"server.shutdown_timeout":    c.Server.ShutdownTimeout,
	} {
		v.nonNegative(path, d)
	}
	if need := c.MaxHandlerTime(); c.Server.WriteTimeout > 0 && c.Server.WriteTimeout < need {
		v.bad("server.write_timeout", "%s is shorter than the longest handler_timeout + handler_grace (%s): it would cut covered responses before the middleware's own bound", c.Server.WriteTimeout.Std(), need.Std())
	}
	v.nonNegativeInt("server.max_header_bytes", int64(c.Server.MaxHeaderBytes))
	v.oneOf("log.format", c.Log.Format, "json", "text")
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.nonNegativeInt("memory.max_records", int64(c.Memory.MaxRecords))
	v.nonNegative("memory.min_age", c.Memory.MinAge)
	v.nonNegativeInt("memory.max_bytes", int64(c.Memory.MaxBytes))
	v.redis()
	v.idempotency()
	v.sortedProblems()
	return v.problems
}

// validator collects problems.
type validator struct {
	c        *Config
	problems []string
}

func (v *validator) bad(path, format string, args ...any) {
	v.problems = append(v.problems, v.c.problem(path, format, args...))
}

// sortedProblems orders the problems by field path (map iteration made
// their order random), so the message is stable.
func (v *validator) sortedProblems() {
	ps := v.problems
	for i := 1; i < len(ps); i++ { // insertion sort: a handful of problems
		for j := i; j > 0 && ps[j] < ps[j-1]; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

func (v *validator) address(path, addr string) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		v.bad(path, "%q is not host:port (e.g. :8080 or 127.0.0.1:9090)", addr)
	}
}

func (v *validator) nonNegative(path string, d Duration) {
	if d < 0 {
		v.bad(path, "must not be negative, got %s", d.Std())
	}
}

func (v *validator) nonNegativeInt(path string, n int64) {
	if n < 0 {
		v.bad(path, "must not be negative, got %d", n)
	}
}

func (v *validator) oneOf(path, got string, allowed ...string) {
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	v.bad(path, "%q is not one of %s", got, strings.Join(allowed, ", "))
}

func (v *validator) upstream() {
	u := v.c.Upstream
	switch parsed, err := url.Parse(u.URL); {
	case u.URL == "":
		v.bad("upstream.url", "required: the URL of the API to front (-upstream, IDEMPROXY_UPSTREAM or upstream.url)")
	case err != nil:
		v.bad("upstream.url", "%q is not a URL: %v", u.URL, err)
	case parsed.Scheme != "http" && parsed.Scheme != "https":
		v.bad("upstream.url", "%q: the scheme must be http or https", u.URL)
	case parsed.Host == "":
		v.bad("upstream.url", "%q has no host", u.URL)
	case parsed.RawQuery != "" || parsed.Fragment != "":
		v.bad("upstream.url", "%q: a query or fragment would be added to every request; remove it", u.URL)
	}
	v.nonNegative("upstream.dial_timeout", u.DialTimeout)
	v.nonNegative("upstream.response_header_timeout", u.ResponseHeaderTimeout)
	v.nonNegative("upstream.idle_conn_timeout", u.IdleConnTimeout)
	v.nonNegativeInt("upstream.max_idle_conns", int64(u.MaxIdleConns))
	v.nonNegativeInt("upstream.max_idle_conns_per_host", int64(u.MaxIdleConnsPerHost))
	v.nonNegativeInt("upstream.max_conns_per_host", int64(u.MaxConnsPerHost))
	v.oneOf("upstream.host", u.Host, "original", "upstream")
	for i, h := range u.TrustForwarded {
		v.oneOf(indexPath("upstream.trust_forwarded", i), http.CanonicalHeaderKey(h), ForwardingHeaders...)
	}
}

func (v *validator) redis() {
	r := v.c.Redis
	if r.URL != "" && len(r.Addrs) > 0 {
		v.bad("redis.addrs", "set redis.url or redis.addrs, not both")
	}
	if r.URL != "" {
		if _, err := parseRedisURL(r.URL); err != nil {
			v.bad("redis.url", "%v", err)
		}
	}
	for i, a := range r.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			v.bad(indexPath("redis.addrs", i), "%q is not host:port", a)
		}
	}
	if r.MasterName != "" && len(r.Addrs) == 0 && r.URL == "" {
		v.bad("redis.master_name", "needs the sentinels' addresses in redis.addrs")
	}
	if len(r.Addrs) > 1 && r.MasterName == "" && r.DB != 0 {
		v.bad("redis.db", "a Redis Cluster has only database 0")
	}
	v.nonNegativeInt("redis.db", int64(r.DB))
	for path, d := range map[string]Duration{
		"redis.dial_timeout": r.DialTimeout, "redis.read_timeout": r.ReadTimeout,
		"redis.write_timeout": r.WriteTimeout, "redis.pool_timeout": r.PoolTimeout,
	} {
		v.nonNegative(path, d)
	}
	v.nonNegativeInt("redis.pool_size", int64(r.PoolSize))
	v.nonNegativeInt("redis.min_idle_conns", int64(r.MinIdleConns))
	if r.MaxRetries < -1 {
		v.bad("redis.max_retries", "must be -1 (no retries) or more, got %d", r.MaxRetries)
	}
	if strings.ContainsAny(r.KeyPrefix, "{}") {
		v.bad("redis.key_prefix", "%q must not contain braces: they would move the keys' hash tag", r.KeyPrefix)
	}
	v.oneOf("redis.check", r.Check, "refuse", "warn")
	if (r.TLS.CertFile == "") != (r.TLS.KeyFile == "") {
		v.bad("redis.tls.cert_file", "set cert_file and key_file together")
	}
	for path, file := range map[string]string{"redis.tls.ca_file": r.TLS.CAFile, "redis.tls.cert_file": r.TLS.CertFile, "redis.tls.key_file": r.TLS.KeyFile} {
		if file == "" {
			continue
		}
		if _, err := os.Stat(file); err != nil {
			v.bad(path, "%v", err)
		}
	}
}

func indexPath(path string, i int) string {
	return path + "[" + itoa(i) + "]"
}
