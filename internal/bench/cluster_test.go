package bench

import (
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestStartCluster: the harness's own cluster serves every slot — keys
// spread over all three masters are written and read through a cluster
// client — its URL is one idemproxy's -redis accepts, and its script
// counters add up over the nodes.
func TestStartCluster(t *testing.T) {
	t.Parallel()
	c, err := StartCluster(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if len(c.Nodes) != clusterSize {
		t.Fatalf("%d nodes, want %d", len(c.Nodes), clusterSize)
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { client.Close() })
	owners := map[string]bool{}
	for i := range 30 {
		k := "k" + strconv.Itoa(i)
		if err := client.Eval(t.Context(), "return redis.call('SET', KEYS[1], ARGV[1])", []string{k}, i).Err(); err != nil {
			t.Fatalf("EVAL SET %s: %v", k, err)
		}
		if got, err := client.Get(t.Context(), k).Int(); err != nil || got != i {
			t.Fatalf("GET %s = %d, %v; want %d", k, got, err, i)
		}
		shard, err := client.MasterForKey(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		owners[shard.Options().Addr] = true
	}
	if len(owners) != clusterSize {
		t.Errorf("30 keys landed on %d masters, want all %d", len(owners), clusterSize)
	}
	st, err := c.Scripts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Calls != 30 {
		t.Errorf("Scripts().Calls = %d over the nodes, want the 30 EVALs", st.Calls)
	}
	opts, err := redisstore.ParseURL(c.URL())
	if err != nil || !opts.IsClusterMode || !slices.Equal(opts.Addrs, c.Addrs()) {
		t.Errorf("redisstore.ParseURL(%q) = %+v, %v; want cluster mode with the nodes %v as seeds", c.URL(), opts, err, c.Addrs())
	}
}
