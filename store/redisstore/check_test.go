package redisstore_test

import (
	"errors"
	"strings"
	"testing"

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
		wantWarning   string
	}{
		{name: "NoEvictionNoPersistence", wantPolicy: "noeviction", wantWarning: "no persistence"},
		{name: "AOF", opts: []redistest.Option{redistest.WithAOF()}, wantPolicy: "noeviction", wantAOF: true},
		{name: "EvictionRefused", opts: []redistest.Option{redistest.WithMaxmemory("64mb", "allkeys-lru")},
			wantPolicy: "allkeys-lru", wantEviction: true},
		{name: "EvictionAllowed", opts: []redistest.Option{redistest.WithMaxmemory("64mb", "volatile-ttl")}, allowEviction: true,
			wantPolicy: "volatile-ttl", wantWarning: "volatile-ttl allowed"},
		// Managed Redis often renames or forbids CONFIG: the check says so,
		// reads the policy from INFO, and still refuses eviction.
		{name: "ConfigForbidden", opts: []redistest.Option{redistest.WithConfig("rename-command", `CONFIG ""`)},
			wantPolicy: "noeviction", wantConfigErr: true, wantWarning: "CONFIG GET not permitted"},
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
			if n.MaxmemoryPolicy != tc.wantPolicy || n.AOF != tc.wantAOF || (n.ConfigErr != nil) != tc.wantConfigErr {
				t.Errorf("node: got policy %q AOF %v config error %v, want %q %v %v",
					n.MaxmemoryPolicy, n.AOF, n.ConfigErr, tc.wantPolicy, tc.wantAOF, tc.wantConfigErr)
			}
			if n.Addr != srv.Addr() || n.Version == "" {
				t.Errorf("node: got addr %q version %q, want %q and a version", n.Addr, n.Version, srv.Addr())
			}
			joined := strings.Join(rep.Warnings, "\n")
			if tc.wantWarning != "" && !strings.Contains(joined, tc.wantWarning) {
				t.Errorf("Warnings: got %q, want one containing %q", rep.Warnings, tc.wantWarning)
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
