package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

func TestCheckServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		opts          []redistest.Option
		allowEviction bool
		wantPolicy    string
		wantEviction  bool
		wantAOF       bool
		wantConfigErr bool
		wantInfoErr   bool
		wantWarning   string
		wantNoWarning string
	}{
		{name: "NoEvictionNoPersistence", wantPolicy: "noeviction", wantWarning: "no persistence"},
		{name: "AOF", opts: []redistest.Option{redistest.WithAOF()}, wantPolicy: "noeviction", wantAOF: true,
			wantNoWarning: "appendfsync"}, // always
		{name: "AOFEverysec", opts: []redistest.Option{redistest.WithAOF(), redistest.WithConfig("appendfsync", "everysec")},
			wantPolicy: "noeviction", wantAOF: true, wantWarning: "appendfsync everysec"},
		{name: "EvictionRefused", opts: []redistest.Option{redistest.WithMaxmemory("64mb", "allkeys-lru")},
			wantPolicy: "allkeys-lru", wantEviction: true},
		{name: "EvictionAllowed", opts: []redistest.Option{redistest.WithMaxmemory("64mb", "volatile-ttl")}, allowEviction: true,
			wantPolicy: "volatile-ttl", wantWarning: "volatile-ttl allowed"},
		// Managed Redis often renames or forbids CONFIG: the check says so,
		// reads the policy from INFO, and still refuses eviction.
		{name: "ConfigForbidden", opts: []redistest.Option{redistest.WithConfig("rename-command", `CONFIG ""`)},
			wantPolicy: "noeviction", wantConfigErr: true, wantWarning: "CONFIG GET not permitted"},
		// Without CONFIG the RDB rules are unknown, not absent.
		{name: "ConfigForbiddenRDBUnknown", opts: []redistest.Option{redistest.WithConfig("rename-command", `CONFIG ""`)},
			wantPolicy: "noeviction", wantConfigErr: true, wantWarning: "RDB save rules unknown", wantNoWarning: "no RDB save rule"},
		// Without INFO the check says so and goes on with CONFIG.
		{name: "InfoForbidden", opts: []redistest.Option{redistest.WithConfig("rename-command", `INFO ""`)},
			wantPolicy: "noeviction", wantInfoErr: true, wantWarning: "INFO not permitted"},
		{name: "ConfigForbiddenEviction", opts: []redistest.Option{
			redistest.WithConfig("rename-command", `CONFIG ""`), redistest.WithMaxmemory("64mb", "allkeys-random"),
		}, wantPolicy: "allkeys-random", wantConfigErr: true, wantEviction: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t, tc.opts...)
			rep, err := redisstore.CheckServer(t.Context(), srv.Client(t), tc.allowEviction)
			var ev *redisstore.EvictionError
			if got := errors.As(err, &ev); got != tc.wantEviction {
				t.Fatalf("CheckServer: got error %v, want EvictionError: %v", err, tc.wantEviction)
			}
			if tc.wantEviction && ev.Policy != tc.wantPolicy {
				t.Errorf("EvictionError.Policy: got %q, want %q", ev.Policy, tc.wantPolicy)
			}
			if !tc.wantEviction && err != nil {
				t.Fatalf("CheckServer: got error %v, want nil", err)
			}
			if len(rep.Nodes) != 1 {
				t.Fatalf("Nodes: got %d, want 1", len(rep.Nodes))
			}
			n := rep.Nodes[0]
			if n.MaxmemoryPolicy != tc.wantPolicy || n.AOF != tc.wantAOF || (n.ConfigErr != nil) != tc.wantConfigErr || (n.InfoErr != nil) != tc.wantInfoErr {
				t.Errorf("node: got policy %q AOF %v config error %v info error %v, want %q %v %v %v",
					n.MaxmemoryPolicy, n.AOF, n.ConfigErr, n.InfoErr, tc.wantPolicy, tc.wantAOF, tc.wantConfigErr, tc.wantInfoErr)
			}
			if n.Addr != srv.Addr() || (n.Version == "") != tc.wantInfoErr {
				t.Errorf("node: got addr %q version %q, want %q and a version unless INFO is refused", n.Addr, n.Version, srv.Addr())
			}
			joined := strings.Join(rep.Warnings, "\n")
			if tc.wantWarning != "" && !strings.Contains(joined, tc.wantWarning) {
				t.Errorf("Warnings: got %q, want one containing %q", rep.Warnings, tc.wantWarning)
			}
			if tc.wantNoWarning != "" && strings.Contains(joined, tc.wantNoWarning) {
				t.Errorf("Warnings: got %q, want none containing %q", rep.Warnings, tc.wantNoWarning)
			}
		})
	}
}

// TestCheckServerCluster: every master of a cluster is checked.
func TestCheckServerCluster(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	rep, err := redisstore.CheckServer(t.Context(), c.Client(t), false)
	if err != nil {
		t.Fatalf("CheckServer: got error %v, want nil", err)
	}
	if len(rep.Nodes) != 3 {
		t.Fatalf("Nodes: got %d, want 3 (every master)", len(rep.Nodes))
	}
	for _, n := range rep.Nodes {
		if n.MaxmemoryPolicy != "noeviction" {
			t.Errorf("node %s: got policy %q, want noeviction", n.Addr, n.MaxmemoryPolicy)
		}
	}
}

// TestCheckServerSentinel: a Sentinel-backed client's node is named by the
// master's address, not by go-redis's placeholder "FailoverClient".
func TestCheckServerSentinel(t *testing.T) {
	t.Parallel()
	sen := redistest.StartSentinel(t)
	rep, err := redisstore.CheckServer(t.Context(), sen.Client(t), false)
	if err != nil {
		t.Fatalf("CheckServer: %v", err)
	}
	if len(rep.Nodes) != 1 || rep.Nodes[0].Addr != sen.Master().Addr() {
		t.Errorf("Nodes: got %+v, want one named %s", rep.Nodes, sen.Master().Addr())
	}
}

// stubServer answers INFO and CONFIG GET with canned values, for servers
// the tests cannot start (an old version).
type stubServer struct{ info string }

func (s stubServer) Info(ctx context.Context, _ ...string) *redis.StringCmd {
	return redis.NewStringResult(s.info, nil)
}

func (s stubServer) ConfigGet(ctx context.Context, p string) *redis.MapStringStringCmd {
	cfg := map[string]string{"maxmemory-policy": "noeviction", "appendonly": "yes", "appendfsync": "always", "save": ""}
	return redis.NewMapStringStringResult(map[string]string{p: cfg[p]}, nil)
}

// TestCheckServerVersion: a server older than Redis 5 is refused (its
// scripts would be replicated as scripts, and TIME before a write is then
// refused or replayed with another clock); an unknown version is a warning.
func TestCheckServerVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version     string
		wantErr     bool
		wantWarning string
	}{
		{version: "4.0.14", wantErr: true},
		{version: "3.2.12", wantErr: true},
		{version: "5.0.0"},
		{version: "7.2.4"},
		{version: "", wantWarning: "version unknown"},
	} {
		info := "# Server\r\nprocess_id:1\r\n"
		if tc.version != "" {
			info += "redis_version:" + tc.version + "\r\n"
		}
		rep, err := redisstore.CheckServer(t.Context(), stubServer{info: info}, false)
		var ve *redisstore.VersionError
		if got := errors.As(err, &ve); got != tc.wantErr {
			t.Errorf("version %q: got error %v, want a VersionError: %v", tc.version, err, tc.wantErr)
		}
		if !tc.wantErr && err != nil {
			t.Errorf("version %q: got error %v, want nil", tc.version, err)
		}
		if joined := strings.Join(rep.Warnings, "\n"); tc.wantWarning != "" && !strings.Contains(joined, tc.wantWarning) {
			t.Errorf("version %q: Warnings: got %q, want one containing %q", tc.version, rep.Warnings, tc.wantWarning)
		}
	}
}
