package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/rediscluster"
)

const clusterSize = rediscluster.Size

// Cluster is a Redis Cluster of three masters (no replicas) started by the
// tests, all slots assigned and the cluster state ok.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts a cluster of its own for tb, torn down when tb ends.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	requireBinaries(tb, true)
	c, err := startCluster(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.stop)
	return c
}

// startCluster starts the nodes (data in subfolders of dir), joins them
// with redis-cli --cluster create, and waits for cluster_state:ok.
func startCluster(dir string) (*Cluster, error) {
	c := &Cluster{}
	for i := range clusterSize {
		nodeDir := filepath.Join(dir, "node"+strconv.Itoa(i))
		if err := os.MkdirAll(nodeDir, 0o700); err != nil {
			c.stop()
			return nil, fmt.Errorf("redistest: %w", err)
		}
		n, err := startServer(config{}, nodeDir, func(int) []string {
			// The bus port is picked like the client port, not derived
			// (port+10000 may be taken).
			bus, err := freePorts(1)
			if err != nil {
				bus = []int{0}
			}
			return []string{
				"cluster-enabled yes",
				"cluster-config-file " + filepath.Join(nodeDir, "nodes.conf"),
				"cluster-port " + strconv.Itoa(bus[0]),
				"cluster-node-timeout 5000",
			}
		})
		if err != nil {
			c.stop()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	if err := c.create(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// create assigns the slots and waits until every node reports the cluster
// ok with every slot served.
func (c *Cluster) create() error {
	cli, err := cliBinary()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := rediscluster.Create(ctx, cli, c.Addrs()); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	return nil
}

// Addrs returns the nodes' addresses (host:port).
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Nodes returns the cluster's servers. Killing one of a shared cluster
// panics, as for a shared Server.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Options returns go-redis options for a client of this cluster.
func (c *Cluster) Options() *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:        c.Addrs(),
		DialTimeout:  2 * time.Second,
		ReadTimeout:  2 * time.Second,
		WriteTimeout: 2 * time.Second,
	}
}

// Client returns a go-redis cluster client, closed when tb ends.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	client := redis.NewClusterClient(c.Options())
	tb.Cleanup(func() { _ = client.Close() })
	return client
}

func (c *Cluster) stop() {
	for _, n := range c.nodes {
		n.stop()
	}
}
