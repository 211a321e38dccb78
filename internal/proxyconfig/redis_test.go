package proxyconfig

import (
	"strings"
	"testing"
	"time"
)

func TestRedisOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		redis Redis
		check func(t *testing.T, r Redis)
	}{
		{
			name:  "URL, with the section's password over the URL's",
			redis: Redis{URL: "redis://u:fromurl@127.0.0.1:6380/3", Password: "fromenv", ReadTimeout: Duration(250 * time.Millisecond)},
			check: func(t *testing.T, r Redis) {
				o, err := r.Options()
				if err != nil {
					t.Fatal(err)
				}
				if o.Addrs[0] != "127.0.0.1:6380" || o.Username != "u" || o.Password != "fromenv" || o.DB != 3 || o.ReadTimeout != 250*time.Millisecond {
					t.Errorf("options = %+v, want addr 127.0.0.1:6380, user u, password fromenv, db 3, read 250ms", o)
				}
			},
		},
		{
			name:  "several addresses are a Cluster",
			redis: Redis{Addrs: []string{"a:1", "b:2", "c:3"}},
			check: func(t *testing.T, r Redis) {
				o, err := r.Options()
				if err != nil || !o.IsClusterMode || o.MasterName != "" {
					t.Errorf("options = %+v, %v; want cluster mode", o, err)
				}
			},
		},
		{
			name:  "a master name is Sentinel",
			redis: Redis{Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster", SentinelPassword: "sp"},
			check: func(t *testing.T, r Redis) {
				o, err := r.Options()
				if err != nil || o.IsClusterMode || o.MasterName != "mymaster" || o.SentinelPassword != "sp" {
					t.Errorf("options = %+v, %v; want Sentinel mymaster", o, err)
				}
			},
		},
		{
			name:  "rediss turns TLS on; server_name refines it",
			redis: Redis{URL: "rediss://cache.example:6380", TLS: TLS{ServerName: "other.example"}},
			check: func(t *testing.T, r Redis) {
				o, err := r.Options()
				if err != nil || o.TLSConfig == nil || o.TLSConfig.ServerName != "other.example" {
					t.Errorf("TLS = %+v, %v; want TLS with server name other.example", o.TLSConfig, err)
				}
			},
		},
		{
			name:  "no TLS unless asked",
			redis: Redis{URL: "redis://127.0.0.1:6379"},
			check: func(t *testing.T, r Redis) {
				if o, err := r.Options(); err != nil || o.TLSConfig != nil {
					t.Errorf("TLS = %+v, %v; want none", o.TLSConfig, err)
				}
			},
		},
		{
			name:  "a missing CA file names the field",
			redis: Redis{URL: "rediss://127.0.0.1:6379", TLS: TLS{CAFile: "/nonexistent/ca.pem"}},
			check: func(t *testing.T, r Redis) {
				if _, err := r.Options(); err == nil || !strings.Contains(err.Error(), "redis.tls.ca_file") {
					t.Errorf("Options() = %v, want an error naming redis.tls.ca_file", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, tc.redis)
		})
	}
}
