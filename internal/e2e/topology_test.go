package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestRedisTopologies runs the proxy with each documented -redis form
// against a real server of that kind, and replays one order through it.
func TestRedisTopologies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"unix socket", func(t *testing.T) string {
			return "unix://" + redistest.Start(t, redistest.WithUnixSocket()).Addr()
		}},
		{"cluster", func(t *testing.T) string {
			return "redis+cluster://" + strings.Join(redistest.SharedCluster(t).Addrs(), ",")
		}},
		{"sentinel", func(t *testing.T) string {
			s := redistest.StartSentinel(t)
			return "redis+sentinel://" + strings.Join(s.SentinelAddrs(), ",") + "/" + redistest.MasterName
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			upstream := startOrderapp(t)
			p := startProxy(t, nil, "-upstream", upstream, "-redis", tc.url(t))
			key, body := unique("topo"), order(unique("cust"), "tok_visa", 1)
			first := postOrder(t, p.url, key, body)
			second := postOrder(t, p.url, key, body)
			if first.status != http.StatusCreated || second.body != first.body || second.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("POST, POST = %d %s, %d %s; want 201 and its replay", first.status, first.body, second.status, second.body)
			}
			if got := charges(t, upstream); got != 1 {
				t.Errorf("orderapp_payment_charges_total = %v, want 1", got)
			}
		})
	}
}
