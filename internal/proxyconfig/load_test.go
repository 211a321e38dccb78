package proxyconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// writeFile writes a config file into a fresh directory and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) (string, bool) { return "", false }

func TestSampleConfigLoads(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{File: "../../config.yaml", LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("Load(config.yaml): %v", err)
	}
	if got, want := c.Upstream.URL, "http://127.0.0.1:8081"; got != want {
		t.Errorf("upstream.url = %q, want %q", got, want)
	}
	if c.UsesRedis() {
		t.Errorf("UsesRedis() = true, want the memory store by default")
	}
	mc := c.Middleware()
	if len(mc.Routes) != 1 {
		t.Fatalf("routes = %d, want 1", len(mc.Routes))
	}
	r := mc.Routes[0]
	if r.Name != "orders" || r.Path != "/orders" || r.Policy.Key != middleware.KeyRequired || r.Policy.Scope != "json:/customer_id" {
		t.Errorf("orders route = %+v, want POST /orders, key required, scope json:/customer_id", r)
	}
	// "[]" in the sample must mean "the defaults", not "exclude nothing".
	if mc.ReplayExcludeHeaders != nil || mc.FingerprintHeaders != nil {
		t.Errorf("empty lists = %q, %q, want nil (inherit)", mc.ReplayExcludeHeaders, mc.FingerprintHeaders)
	}
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := middleware.New(st, mc); err != nil {
		t.Errorf("middleware.New(sample) = %v, want nil", err)
	}
}

func TestLoadErrorsNameTheField(t *testing.T) {
	t.Parallel()
	const upstream = "upstream:\n  url: http://127.0.0.1:1\n"
	tests := []struct {
		name string
		file string
		env  map[string]string
		want []string // substrings of the error, all of them
	}{
		{
			name: "unknown top-level field",
			file: upstream + "lisen: :8080\n",
			want: []string{"config.yaml:3: lisen: unknown field \"lisen\""},
		},
		{
			name: "unknown route field",
			file: upstream + "idempotency:\n  routes:\n    - name: a\n      scpoe: none\n",
			want: []string{"config.yaml:6: idempotency.routes[0].scpoe: unknown field"},
		},
		{
			name: "bad duration",
			file: upstream + "idempotency:\n  defaults:\n    ttl: 5 parsecs\n",
			want: []string{"config.yaml:5: idempotency.defaults.ttl: invalid duration \"5 parsecs\""},
		},
		{
			name: "bare number duration",
			file: upstream + "server:\n  idle_timeout: 30\n",
			want: []string{"server.idle_timeout: invalid duration \"30\""},
		},
		{
			name: "bad upstream URL",
			file: "upstream:\n  url: ftp://example.com\n",
			want: []string{"config.yaml:2: upstream.url: \"ftp://example.com\": the scheme must be http or https"},
		},
		{
			name: "bad redis URL from the environment",
			file: upstream,
			env:  map[string]string{"IDEMPROXY_REDIS": "mysql://localhost"},
			want: []string{"IDEMPROXY_REDIS: redis.url:"},
		},
		{
			name: "negative limit",
			file: upstream + "idempotency:\n  defaults:\n    max_request_body: -1\n",
			want: []string{"config.yaml:5: idempotency.defaults.max_request_body: must not be negative, got -1"},
		},
		{
			name: "bad replay cache bounds",
			file: upstream + "idempotency:\n  replay_cache:\n    max_entries: -2\n    max_age: -1s\n",
			want: []string{"idempotency.replay_cache.max_entries: must be -1", "idempotency.replay_cache.max_age: must not be negative"},
		},
		{
			name: "negative duration",
			file: upstream + "server:\n  read_timeout: -1s\n",
			want: []string{"config.yaml:4: server.read_timeout: must not be negative"},
		},
		{
			name: "negative memory min_age",
			file: upstream + "memory:\n  min_age: -1m\n",
			want: []string{"config.yaml:4: memory.min_age: must not be negative, got -1m0s"},
		},
		{
			name: "memory min_age not a duration",
			file: upstream + "memory:\n  min_age: 10\n",
			want: []string{"config.yaml:4: memory.min_age: invalid duration \"10\""},
		},
		{
			name: "wrong type",
			file: upstream + "memory:\n  max_records: lots\n",
			want: []string{"config.yaml:4: memory.max_records: cannot unmarshal !!str `lots`"},
		},
		{
			name: "bad enum",
			file: upstream + "idempotency:\n  routes:\n    - path: /x\n      in_progress: queue\n",
			want: []string{"idempotency.routes[0].in_progress: \"queue\" is not one of reject, wait"},
		},
		{
			name: "missing TLS file",
			file: upstream + "redis:\n  url: rediss://127.0.0.1:6379\n  tls:\n    ca_file: /nonexistent/ca.pem\n",
			want: []string{"config.yaml:6: redis.tls.ca_file: stat /nonexistent/ca.pem"},
		},
		{
			name: "missing upstream",
			file: "listen: :8080\n",
			want: []string{"upstream.url: required"},
		},
		{
			name: "every problem at once",
			file: "lisen: x\nupstream:\n  url: nope\nredis:\n  db: -2\n  check: maybe\nidempotency:\n  defaults:\n    lease: 1ms\n    statuses: {\"6xx\": replay, \"503\": ignore}\n",
			want: []string{
				"config.yaml:1: lisen: unknown field",
				"config.yaml:3: upstream.url:",
				"config.yaml:5: redis.db: must not be negative",
				"config.yaml:6: redis.check: \"maybe\" is not one of refuse, warn",
				"config.yaml:9: idempotency.defaults.lease: must be at least 10ms",
				"idempotency.defaults.statuses.6xx: \"6xx\" is neither a status",
				"idempotency.defaults.statuses.503: \"ignore\" is not one of replay, fail, release",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			_, err := Load(Sources{File: writeFile(t, tc.file), LookupEnv: env})
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load() error = %v, want *Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error =\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestPrecedenceFlagsBeatEnvBeatFile(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "listen: \":1001\"\nupstream:\n  url: http://file:1\nadmin:\n  listen: 127.0.0.1:1002\nlog:\n  level: warn\n")
	env := map[string]string{
		"IDEMPROXY_LISTEN":       ":2001",
		"IDEMPROXY_UPSTREAM":     "http://env:2",
		"IDEMPROXY_ADMIN_TOKEN":  "s3cret",
		"IDEMPROXY_LOG_REQUESTS": "true",
	}
	flags := map[string]string{"listen": ":3001", "redis": "redis://127.0.0.1:6379/2"}
	c, err := Load(Sources{File: file, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"listen (flag over env over file)", c.Listen, ":3001"},
		{"upstream (env over file)", c.Upstream.URL, "http://env:2"},
		{"admin.listen (file)", c.Admin.Listen, "127.0.0.1:1002"},
		{"admin.token (env)", c.Admin.Token, "s3cret"},
		{"log.level (file)", c.Log.Level, "warn"},
		{"log.format (default)", c.Log.Format, "json"},
		{"redis.url (flag)", c.Redis.URL, "redis://127.0.0.1:6379/2"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if !c.Log.Requests {
		t.Errorf("log.requests = false, want true from IDEMPROXY_LOG_REQUESTS")
	}
	if !c.UsesRedis() {
		t.Errorf("UsesRedis() = false with -redis set")
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{Flags: map[string]string{"upstream": "http://127.0.0.1:8081"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.Admin.Listen != "127.0.0.1:9090" {
		t.Errorf("listen, admin.listen = %q, %q, want :8080, 127.0.0.1:9090", c.Listen, c.Admin.Listen)
	}
	if got, want := c.Server.ReadHeaderTimeout.Std(), 10*time.Second; got != want {
		t.Errorf("server.read_header_timeout = %s, want %s", got, want)
	}
	if got, want := c.Upstream.MaxIdleConnsPerHost, 256; got != want {
		t.Errorf("upstream.max_idle_conns_per_host = %d, want %d", got, want)
	}
}

func TestByteSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    ByteSize
		wantErr bool
	}{
		{in: "1048576", want: 1 << 20},
		{in: "1MiB", want: 1 << 20},
		{in: "512 KiB", want: 512 << 10},
		{in: "2GiB", want: 2 << 30},
		{in: "10B", want: 10},
		{in: "-1", want: -1}, // parsed; validation refuses it, naming the field
		{in: "1MB", wantErr: true},
		{in: "lots", wantErr: true},
		{in: "99999999999GiB", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseByteSize(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, error %t", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// FuzzLoad checks that no file, however malformed, panics the loader, and
// that every failure is reported as a list of problems.
func FuzzLoad(f *testing.F) {
	sample, err := os.ReadFile("../../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	f.Add("idempotency:\n  routes:\n    - {path: /x, ttl: 1h, lease: 2h}\n")
	f.Add("redis: {addrs: [a:1, b:2], db: 3}\n")
	f.Fuzz(func(t *testing.T, body string) {
		c := &Config{origin: origins{}}
		problems := c.decode("f.yaml", []byte(body))
		c.applyDefaults()
		problems = append(problems, c.validate()...)
		for _, p := range problems {
			if p == "" {
				t.Errorf("empty problem for %q", body)
			}
		}
	})
}
