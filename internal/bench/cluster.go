package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is the benchmark's own Redis Cluster: clusterSize masters, no
// replicas, each a redis-server on a free loopback port (and a free bus
// port), without persistence like the standalone one. internal/redistest
// starts the same for the tests, but it imports testing, which has no
// place in the idembench binary; this is its starter cut down.
type Cluster struct {
	Nodes []*Redis
}

// clusterSize is the number of masters: the smallest real cluster.
const clusterSize = 3

// clusterReadyTimeout bounds the wait for every node to report the
// cluster ok after redis-cli created it.
const clusterReadyTimeout = 30 * time.Second

// StartCluster starts the nodes, with their data in subdirectories of dir,
// assigns the slots with redis-cli --cluster create, and returns once
// every node reports cluster_state:ok with all slots served.
func StartCluster(ctx context.Context, dir string) (_ *Cluster, err error) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis-cli not found on PATH (the cluster row needs it): install the Debian package redis-tools")
	}
	c := &Cluster{}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	for i := range clusterSize {
		nodeDir := filepath.Join(dir, "cluster-node"+strconv.Itoa(i))
		if err := os.MkdirAll(nodeDir, 0o700); err != nil {
			return nil, err
		}
		n, err := startRedis(nodeDir, "redis-cluster-node"+strconv.Itoa(i), func() ([]string, error) {
			// The bus port is picked free too: port+10000 may be taken.
			bus, err := freePort()
			return []string{"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
				"--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "5000"}, err
		})
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(ctx, clusterReadyTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// The nodes learn the others' slots by gossip, so the state turns ok
	// some time after create returns; there is nothing to wait on but
	// CLUSTER INFO itself.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, n := range c.Nodes {
		client := redis.NewClient(&redis.Options{Addr: n.Addr})
		for {
			info, err := client.ClusterInfo(ctx).Result()
			if err == nil && clusterOK(info) {
				break
			}
			select {
			case <-ctx.Done():
				client.Close()
				return nil, fmt.Errorf("redis cluster not ok at %s after %v: %v\n%s", n.Addr, clusterReadyTimeout, err, info)
			case <-tick.C:
			}
		}
		client.Close()
	}
	return c, nil
}

// clusterOK reports whether CLUSTER INFO says the cluster is ok, every
// slot served and every node known.
func clusterOK(info string) bool {
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    "16384",
		"cluster_known_nodes": strconv.Itoa(clusterSize),
	}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if w, ok := want[k]; ok && v == w {
			delete(want, k)
		}
	}
	return len(want) == 0
}

// Addrs are the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// URL is the cluster's URL for idemproxy's -redis: the redis+cluster form
// with every node as a seed.
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs(), ",") }

// Scripts sums the nodes' ScriptStats: the cluster's script work.
func (c *Cluster) Scripts(ctx context.Context) (ScriptStats, error) {
	var sum ScriptStats
	for _, n := range c.Nodes {
		st, err := n.Scripts(ctx)
		if err != nil {
			return sum, err
		}
		sum.Calls += st.Calls
		sum.Usec += st.Usec
	}
	return sum, nil
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
}
