package bench

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// The benchmarks here are the in-process counterparts of `make bench`, for
// -benchmem and -cpuprofile/-memprofile without wrk:
//
//	go test -run '^$' -bench . -benchmem ./internal/bench/
//
// They use the benchmark's config.yaml and a real redis-server (the shared
// one of redistest).

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// benchConfig loads the embedded config.yaml with upstream and a shared
// Redis, as idembench gives them to idemproxy.
func benchConfig(tb testing.TB, upstream string) *proxyconfig.Config {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(path, configYAML, 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := proxyconfig.Load(proxyconfig.Sources{File: path, Flags: map[string]string{
		"upstream": upstream, "redis": "redis://" + redistest.Shared(tb).Addr(),
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

var quiet = slog.New(slog.DiscardHandler)

// keyModes are the request shapes of the table's idemproxy rows.
var keyModes = []struct {
	name string
	key  func(run string, i int) string
}{
	{"first", func(run string, i int) string { return run + "-" + strconv.Itoa(i) }},
	{"replay", func(run string, _ int) string { return run + "-replay" }},
	{"pass", func(string, int) string { return "" }},
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func orderRequest(url, key string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(OrderBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer bench-token")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	return r
}

// BenchmarkMiddleware is the middleware over the Redis store in front of
// Upstream called in-process: no HTTP, no proxy, so ns/op and allocs/op
// are the middleware's and the store client's (the "handler" row is
// Upstream and the request alone, to subtract).
func BenchmarkMiddleware(b *testing.B) {
	cfg := benchConfig(b, "http://127.0.0.1:1")
	opts, err := cfg.Redis.Options()
	if err != nil {
		b.Fatal(err)
	}
	client := redisstore.NewClient(opts)
	b.Cleanup(func() { client.Close() })
	st, err := redisstore.New(client, redisstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	mc := cfg.Middleware()
	mc.Registerer, mc.Logger = prometheus.NewRegistry(), quiet
	mw, err := middleware.New(st, mc)
	if err != nil {
		b.Fatal(err)
	}
	up := Upstream()
	h := mw.Handler(up)
	serve := func(b *testing.B, h http.Handler, key func(int) string) {
		b.ReportAllocs()
		w := &discard{h: http.Header{}}
		for i := 0; b.Loop(); i++ {
			clear(w.h)
			h.ServeHTTP(w, orderRequest("/orders", key(i)))
		}
	}
	b.Run("handler", func(b *testing.B) { serve(b, up, func(int) string { return "" }) })
	for _, km := range keyModes {
		b.Run(km.name, func(b *testing.B) {
			run := rand.Text()
			serve(b, h, func(i int) string { return km.key(run, i) })
		})
	}
}

// BenchmarkProxy is the whole chain over loopback HTTP, in one process:
// client → proxy → Upstream, the proxy being the plain proxy or
// IdemHandler (the profiling build's wiring of what idemproxy runs), with
// 4 requests in flight per CPU.
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(Upstream())
	b.Cleanup(up.Close)
	cfg := benchConfig(b, up.URL)
	target, err := url.Parse(up.URL)
	if err != nil {
		b.Fatal(err)
	}
	plain := httptest.NewServer(upstream.FullDuplex(NewPlainProxy(target, cfg.Upstream, quiet)))
	b.Cleanup(plain.Close)
	h, closeStore, err := IdemHandler(b.Context(), cfg, prometheus.NewRegistry(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeStore)
	idem := httptest.NewServer(h)
	b.Cleanup(idem.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	run := func(b *testing.B, base string, key func(run string, i int) string) {
		b.ReportAllocs()
		b.SetParallelism(4)
		prefix := rand.Text()
		if _, _, err := post(b.Context(), base, key(prefix, -1), OrderBody); err != nil {
			b.Fatal(err) // also makes the replay key's record
		}
		var seq atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(OrderBody))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer bench-token")
				if k := key(prefix, int(seq.Add(1))); k != "" {
					req.Header.Set("Idempotency-Key", k)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("status %d, want 201", resp.StatusCode)
					return
				}
			}
		})
	}
	b.Run("direct", func(b *testing.B) { run(b, up.URL+"/orders", func(string, int) string { return "" }) })
	b.Run("plain", func(b *testing.B) { run(b, plain.URL+"/orders", func(string, int) string { return "" }) })
	for _, km := range keyModes {
		b.Run(km.name, func(b *testing.B) { run(b, idem.URL+"/orders", km.key) })
	}
}
