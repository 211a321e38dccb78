package rediscluster

import "testing"

// TestReady: the cluster is ready only when every condition holds: a
// cluster still learning its slots or nodes by gossip is not.
func TestReady(t *testing.T) {
	const ok = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:3\r\n"
	for _, tc := range []struct {
		name, info string
		want       bool
	}{
		{"ready", ok, true},
		{"state fail", "cluster_state:fail\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:3\r\n", false},
		{"slots still arriving", "cluster_state:ok\r\ncluster_slots_ok:10923\r\ncluster_known_nodes:3\r\n", false},
		{"a node not yet known", "cluster_state:ok\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:2\r\n", false},
		{"empty", "", false},
	} {
		if got := Ready(tc.info, 3); got != tc.want {
			t.Errorf("%s: Ready = %v, want %v", tc.name, got, tc.want)
		}
	}
}
