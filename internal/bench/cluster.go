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

	"github.com/idemproxy/idemproxy/internal/rediscluster"
)

// Cluster is the benchmark's own Redis Cluster: clusterSize masters, no
// replicas, each a redis-server on a free loopback port (and a free bus
// port), without persistence like the standalone one, joined by
// internal/rediscluster as the tests' clusters are.
type Cluster struct {
	Nodes []*Redis
}

const clusterSize = rediscluster.Size

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
	if err := rediscluster.Create(ctx, cli, c.Addrs()); err != nil {
		return nil, err
	}
	return c, nil
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
