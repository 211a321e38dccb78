package chaos

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// unique returns a name no other test (or earlier run on a shared Redis)
// uses, for keys and customers.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%016x", prefix, rand.Uint64())
}

var (
	proxyReady    = regexp.MustCompile(`"msg":"listening"`)
	orderappReady = regexp.MustCompile(`msg="orderapp listening" addr=(\S+)`)
)

// orderapp is a running cmd/orderapp.
type orderapp struct {
	*proc
	url string
}

// startOrderapp starts cmd/orderapp on a free port with args.
func startOrderapp(t *testing.T, args ...string) *orderapp {
	t.Helper()
	p := spawn(t, "orderapp", orderappBin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	line := p.mustLine(orderappReady, startTimeout)
	return &orderapp{proc: p, url: "http://" + orderappReady.FindStringSubmatch(line)[1]}
}

// counts returns orderapp's counters from its /metrics.
func (o *orderapp) counts(t *testing.T) (charges, orders float64) {
	t.Helper()
	m := scrape(t, o.url+"/metrics")
	return m["orderapp_payment_charges_total"], m["orderapp_orders_placed_total"]
}

// charges returns orderapp_payment_charges_total.
func (o *orderapp) charges(t *testing.T) float64 {
	t.Helper()
	c, _ := o.counts(t)
	return c
}

// Routes of the proxies' configurations.
const (
	// ordersRoute is the repository's config.yaml route: POST /orders needs
	// a key, scoped by the body's customer_id.
	ordersRoute = `
    - name: orders
      path: /orders
      methods: [POST]
      key: required
      scope: json:/customer_id`
	// anyRoute covers POST and PATCH on every path, unscoped: for the
	// tests' own upstreams.
	anyRoute = `
    - name: any
      path_prefix: /
      methods: [POST, PATCH]
      key: required
      scope: none`
)

// proxyConfig is what a test sets in an idemproxy's configuration; zero
// fields keep the product's defaults.
type proxyConfig struct {
	Upstream string // base URL
	Redis    string // -redis URL; empty: the memory store
	Check    string // redis.check: refuse or warn

	Lease, HandlerTimeout, HandlerGrace time.Duration
	WaitTimeout, StoreTimeout           time.Duration
	ResponseHeaderTimeout               time.Duration
	InProgress, OnAbandoned             string
	MaxRequestBody, MaxResponseBody     string
	MaxConnsPerHost                     int
	Routes                              string // YAML list items; default ordersRoute
}

func (c proxyConfig) yaml() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`listen: "127.0.0.1:0"`)
	w("upstream:")
	w("  url: %q", c.Upstream)
	if c.ResponseHeaderTimeout > 0 {
		w("  response_header_timeout: %s", c.ResponseHeaderTimeout)
	}
	if c.MaxConnsPerHost > 0 {
		w("  max_conns_per_host: %d", c.MaxConnsPerHost)
	}
	w("admin:")
	w(`  listen: "127.0.0.1:0"`)
	w("log:")
	w("  format: json")
	if c.Redis != "" {
		w("redis:")
		w("  url: %q", c.Redis)
		if c.Check != "" {
			w("  check: %s", c.Check)
		}
	}
	w("idempotency:")
	w("  defaults:")
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"lease", c.Lease}, {"handler_timeout", c.HandlerTimeout}, {"handler_grace", c.HandlerGrace}, {"wait_timeout", c.WaitTimeout}, {"store_timeout", c.StoreTimeout}} {
		if d.v > 0 {
			w("    %s: %s", d.name, d.v)
		}
	}
	for _, s := range []struct{ name, v string }{
		{"in_progress", c.InProgress}, {"on_abandoned", c.OnAbandoned},
		{"max_request_body", c.MaxRequestBody}, {"max_response_body", c.MaxResponseBody},
	} {
		if s.v != "" {
			w("    %s: %s", s.name, s.v)
		}
	}
	w("  routes:%s", orDefault(c.Routes, ordersRoute))
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeConfig writes c to a file of the test's and returns its path.
func writeConfig(t *testing.T, c proxyConfig) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "idemproxy.yaml")
	if err := os.WriteFile(path, []byte(c.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// idemproxy is a running cmd/idemproxy.
type idemproxy struct {
	*proc
	url, admin string // base URLs
}

// spawnProxy starts idemproxy with c and does not wait for it.
func spawnProxy(t *testing.T, c proxyConfig) *proc {
	t.Helper()
	return spawn(t, "idemproxy", idemproxyBin, "-config", writeConfig(t, c))
}

// startProxy starts idemproxy with c and returns once it listens.
func startProxy(t *testing.T, c proxyConfig) *idemproxy {
	t.Helper()
	p := spawnProxy(t, c)
	line := p.mustLine(proxyReady, startTimeout)
	var l struct {
		Addr      string `json:"addr"`
		AdminAddr string `json:"admin_addr"`
	}
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Addr == "" || l.AdminAddr == "" {
		t.Fatalf("listening line %q: want addr and admin_addr (%v)", line, err)
	}
	return &idemproxy{proc: p, url: "http://" + l.Addr, admin: "http://" + l.AdminAddr}
}

// startFault starts a fault proxy to target, closed when the test ends.
func startFault(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	fp, err := faultproxy.Start(strings.TrimPrefix(target, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fp.Close() })
	return fp
}

// ownRedis starts a redis-server of the test's own (it may be killed,
// restarted, filled), with opts.
func ownRedis(t *testing.T, opts ...redistest.Option) *redistest.Server {
	t.Helper()
	return redistest.Start(t, opts...)
}

// redisURL is the -redis URL of a host:port.
func redisURL(addr string) string { return "redis://" + addr }

// within fails the test unless cond becomes true within timeout, polling
// every 10ms: the bounded wait on a real condition the suite uses instead of
// sleeping.
func within(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		<-tick.C
	}
}

// observed logs the counts a test saw, for RELIABILITY.md's matrix.
func observed(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("observed: "+format, args...)
}

// onlyFull skips a case of the matrix that only make chaos runs.
func onlyFull(t *testing.T) {
	t.Helper()
	if !fullMatrix {
		t.Skip("full matrix only: make chaos (go test -tags chaos)")
	}
}

// divergence skips a test that reproduces a known divergence of the product
// from its promise, until the product is fixed (RELIABILITY.md lists each,
// with its reproduction). CHAOS_DIVERGENCES=1 runs them anyway: to
// reproduce, or to check a fix before removing the skip.
func divergence(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CHAOS_DIVERGENCES") == "" {
		t.Skip("divergence: " + what + ", see RELIABILITY.md")
	}
}
