// Package rediscluster joins running redis-server nodes into a Redis
// Cluster and waits until it serves every slot. The tests (through
// internal/redistest) and the benchmark (internal/bench) start their nodes
// each their own way and share this step; it imports no testing, so the
// idembench binary can use it.
package rediscluster

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Size is the number of masters the callers start: the smallest real
// cluster, enough for the keys of one run to land on different nodes.
const Size = 3

// pollEvery is how often a node's CLUSTER INFO is read while waiting.
const pollEvery = 10 * time.Millisecond

// Create assigns the slots of the nodes at addrs (host:port, cluster mode
// enabled, no data) with cli (redis-cli) --cluster create, no replicas, and
// returns once every node reports the cluster ok with every slot served
// and every node known, or ctx ends.
func Create(ctx context.Context, cli string, addrs []string) error {
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// The nodes learn the others' slots by gossip, so the state turns ok
	// some time after create returns; there is nothing to wait on but
	// CLUSTER INFO itself.
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for _, addr := range addrs {
		if err := waitReady(ctx, tick, addr, len(addrs)); err != nil {
			return err
		}
	}
	return nil
}

func waitReady(ctx context.Context, tick *time.Ticker, addr string, nodes int) error {
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	for {
		info, err := client.ClusterInfo(ctx).Result()
		if err == nil && Ready(info, nodes) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis cluster not ok at %s: %v (%v)\n%s", addr, ctx.Err(), err, info)
		case <-tick.C:
		}
	}
}

// Ready reports whether CLUSTER INFO says the cluster is ok, every slot
// served and all of its nodes known.
func Ready(info string, nodes int) bool {
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    "16384",
		"cluster_known_nodes": strconv.Itoa(nodes),
	}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if w, ok := want[k]; ok && v == w {
			delete(want, k)
		}
	}
	return len(want) == 0
}
