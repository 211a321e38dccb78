package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSize is the number of masters: the smallest real cluster, enough
// for keys of one test to land on different nodes.
const clusterSize = 3

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
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for _, n := range c.nodes {
		client := redis.NewClient(n.Options())
		for {
			info, err := client.ClusterInfo(ctx).Result()
			if err == nil && clusterReady(info) {
				break
			}
			select {
			case <-ctx.Done():
				client.Close()
				return fmt.Errorf("redistest: cluster not ok after %v at %s: %v\n%s", startTimeout, n.Addr(), err, info)
			case <-tick.C:
			}
		}
		client.Close()
	}
	return nil
}

// clusterReady reports whether CLUSTER INFO says the cluster is ok, with
// every slot served and every node known.
func clusterReady(info string) bool {
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    "16384",
		"cluster_known_nodes": strconv.Itoa(clusterSize),
	}
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if w, ok := want[k]; ok && v == w {
			delete(want, k)
		}
	}
	return len(want) == 0
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
