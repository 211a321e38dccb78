package redisstore_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestURLForms: every URL form ParseURL documents reaches a real server
// through NewClient, and the store works on it.
func TestURLForms(t *testing.T) {
	t.Parallel()
	acl := []redistest.Option{
		redistest.WithConfig("user", "idem on >s3cret ~* &* +@all"),
		redistest.WithConfig("user", "default off"),
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) (url string, srv *redistest.Server)
	}{
		{"Standalone", func(t *testing.T) (string, *redistest.Server) {
			s := redistest.Shared(t)
			return "redis://" + s.Addr() + "/0", s
		}},
		{"UnixSocket", func(t *testing.T) (string, *redistest.Server) {
			s := redistest.Start(t, redistest.WithUnixSocket())
			return "unix://" + s.Addr() + "?db=1", s
		}},
		{"TLS", func(t *testing.T) (string, *redistest.Server) {
			s := redistest.Start(t, redistest.WithTLS())
			return "rediss://" + s.Addr(), s
		}},
		{"ACL", func(t *testing.T) (string, *redistest.Server) {
			s := redistest.Start(t, acl...)
			return "redis://idem:s3cret@" + s.Addr(), s
		}},
		{"Sentinel", func(t *testing.T) (string, *redistest.Server) {
			s := redistest.StartSentinel(t)
			return "redis+sentinel://" + strings.Join(s.SentinelAddrs(), ",") + "/" + redistest.MasterName, nil
		}},
		{"Cluster", func(t *testing.T) (string, *redistest.Server) {
			return "redis+cluster://" + strings.Join(redistest.SharedCluster(t).Addrs(), ","), nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, srv := tc.setup(t)
			opts, err := redisstore.ParseURL(url)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", url, err)
			}
			if srv != nil && srv.TLSConfig() != nil {
				opts.TLSConfig.RootCAs = srv.TLSConfig().RootCAs // the test CA
			}
			client := redisstore.NewClient(opts)
			t.Cleanup(func() { _ = client.Close() })
			s := newStore(t, client, redisstore.Config{})
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			key := newKey()
			mustClaim(t, s, claimReq(key, "o"), store.Claimed)
			if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
				t.Fatalf("Finish: %v", err)
			}
			mustClaim(t, s, claimReq(key, "retry"), store.Replay)
		})
	}
}

// TestACLWrongPassword: a wrong ACL password is an error, not a silent
// anonymous connection.
func TestACLWrongPassword(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t,
		redistest.WithConfig("user", "idem on >s3cret ~* &* +@all"),
		redistest.WithConfig("user", "default off"))
	s := newStore(t, newClient(t, "redis://idem:wrong@"+srv.Addr()+"?max_retries=-1"), redisstore.Config{})
	if err := s.Ping(t.Context()); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Ping with a wrong password: got %v, want WRONGPASS", err)
	}
}

// TestNewClientDefaults: zero options get the deliberate defaults; set
// ones are kept.
func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	opts := &redis.UniversalOptions{Addrs: []string{"127.0.0.1:1"}, ReadTimeout: 3e9, MaxRetries: -1}
	c := redisstore.NewClient(opts)
	defer c.Close()
	o := c.(*redis.Client).Options()
	checks := []struct {
		name      string
		got, want any
	}{
		{"DialTimeout", o.DialTimeout, redisstore.DefaultDialTimeout},
		{"ReadTimeout (set)", o.ReadTimeout, opts.ReadTimeout},
		{"WriteTimeout", o.WriteTimeout, redisstore.DefaultWriteTimeout},
		{"PoolTimeout", o.PoolTimeout, redisstore.DefaultPoolTimeout},
		{"MaxRetries (-1: none)", o.MaxRetries, 0},
		{"PoolSize", o.PoolSize, 10 * runtime.GOMAXPROCS(0)},
		{"ContextTimeoutEnabled", o.ContextTimeoutEnabled, true},
		{"DialerRetries", o.DialerRetries, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	c2 := redisstore.NewClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:1"}})
	defer c2.Close()
	if got := c2.(*redis.Client).Options().MaxRetries; got != redisstore.DefaultMaxRetries {
		t.Errorf("MaxRetries: got %d, want %d", got, redisstore.DefaultMaxRetries)
	}
}

// TestNewClientNeverPanics: options go-redis would panic on (a negative
// pool size) or silently break on (a negative dial timeout fails every
// dial) are replaced by the defaults, and the client works.
func TestNewClientNeverPanics(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	tests := []struct {
		name  string
		set   func(o *redis.UniversalOptions)
		field func(o *redis.Options) any
		want  any
	}{
		{"NegativePoolSize", func(o *redis.UniversalOptions) { o.PoolSize = -1 },
			func(o *redis.Options) any { return o.PoolSize }, redisstore.DefaultPoolSize()},
		{"NegativeMinIdleConns", func(o *redis.UniversalOptions) { o.MinIdleConns = -1 },
			func(o *redis.Options) any { return o.MinIdleConns }, 0},
		{"NegativeMaxIdleConns", func(o *redis.UniversalOptions) { o.MaxIdleConns = -1 },
			func(o *redis.Options) any { return o.MaxIdleConns }, 0},
		{"NegativeMaxActiveConns", func(o *redis.UniversalOptions) { o.MaxActiveConns = -1 },
			func(o *redis.Options) any { return o.MaxActiveConns }, 0},
		{"MaxRetriesBelowMinusOne", func(o *redis.UniversalOptions) { o.MaxRetries = -5 },
			func(o *redis.Options) any { return o.MaxRetries }, 0}, // none, as -1
		{"NegativeDialTimeout", func(o *redis.UniversalOptions) { o.DialTimeout = -time.Second },
			func(o *redis.Options) any { return o.DialTimeout }, redisstore.DefaultDialTimeout},
		{"NegativePoolTimeout", func(o *redis.UniversalOptions) { o.PoolTimeout = -time.Second },
			func(o *redis.Options) any { return o.PoolTimeout }, redisstore.DefaultPoolTimeout},
		{"ReadTimeoutBelowMinusTwo", func(o *redis.UniversalOptions) { o.ReadTimeout = -time.Second },
			func(o *redis.Options) any { return o.ReadTimeout }, redisstore.DefaultReadTimeout},
		{"WriteTimeoutBelowMinusTwo", func(o *redis.UniversalOptions) { o.WriteTimeout = -time.Second },
			func(o *redis.Options) any { return o.WriteTimeout }, redisstore.DefaultWriteTimeout},
		{"ReadTimeoutMinusOneKept", func(o *redis.UniversalOptions) { o.ReadTimeout = -1 },
			func(o *redis.Options) any { return o.ReadTimeout }, time.Duration(0)}, // go-redis: no timeout
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := &redis.UniversalOptions{Addrs: []string{srv.Addr()}}
			tc.set(opts)
			var c redis.UniversalClient
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("NewClient panicked: %v", r)
					}
				}()
				c = redisstore.NewClient(opts)
			}()
			defer c.Close()
			if got := tc.field(c.(*redis.Client).Options()); got != tc.want {
				t.Errorf("option: got %v, want %v", got, tc.want)
			}
			if err := c.Ping(t.Context()).Err(); err != nil {
				t.Errorf("Ping: got %v, want nil", err)
			}
		})
	}
}

// TestNewClientClusterRedirects: a cluster client gets a deliberate
// MaxRedirects, and one below -1 (go-redis would then make no attempt at
// all and answer a GET with "" and no error) becomes -1, a single attempt.
func TestNewClientClusterRedirects(t *testing.T) {
	t.Parallel()
	addrs := redistest.SharedCluster(t).Addrs()
	for _, tc := range []struct {
		name          string
		maxRedirects  int
		wantRedirects int
	}{
		{"Default", 0, redisstore.DefaultMaxRedirects},
		{"BelowMinusOne", -5, 0},
		{"Set", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := redisstore.NewClient(&redis.UniversalOptions{Addrs: addrs, IsClusterMode: true, MaxRedirects: tc.maxRedirects})
			defer c.Close()
			if got := c.(*redis.ClusterClient).Options().MaxRedirects; got != tc.wantRedirects {
				t.Errorf("MaxRedirects: got %d, want %d", got, tc.wantRedirects)
			}
			key := "idemtest:redirects:" + tc.name
			if err := c.Set(t.Context(), key, "v", time.Minute).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
			if got, err := c.Get(t.Context(), key).Result(); got != "v" || err != nil {
				t.Errorf("GET: got %q, %v, want \"v\", nil", got, err)
			}
		})
	}
}
