package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinel monitors its master under.
const MasterName = "idemmaster"

// Sentinel is one master, one replica of it, and one sentinel monitoring
// the master, started by the tests.
type Sentinel struct {
	master, replica *Server
	sentinel        *Server
}

// StartSentinel starts a Sentinel setup of its own for tb, torn down when
// tb ends. It returns once the replica is in sync and the sentinel knows
// the master and its replica.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	requireBinaries(tb, false)
	s, err := startSentinel(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

func startSentinel(dir string) (*Sentinel, error) {
	s := &Sentinel{}
	sub := func(name string) (string, error) {
		d := filepath.Join(dir, name)
		return d, os.MkdirAll(d, 0o700)
	}
	fail := func(err error) (*Sentinel, error) {
		s.stop()
		return nil, err
	}

	d, err := sub("master")
	if err != nil {
		return fail(err)
	}
	// Diskless sync waits 5 s by default for more replicas to come; there
	// is only one.
	master := func(int) []string { return []string{"repl-diskless-sync-delay 0"} }
	if s.master, err = startServer(config{}, d, master); err != nil {
		return fail(err)
	}
	if d, err = sub("replica"); err != nil {
		return fail(err)
	}
	masterHost, masterPort := splitAddr(s.master.Addr())
	s.replica, err = startServer(config{}, d, func(int) []string {
		return []string{"replicaof " + masterHost + " " + masterPort}
	})
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := pollInfo(ctx, s.master, "replication", "connected_slaves:1", "state=online"); err != nil {
		return fail(err)
	}

	// The sentinel starts after the replica is online, so that its first
	// look at the master already lists the replica.
	if d, err = sub("sentinel"); err != nil {
		return fail(err)
	}
	s.sentinel, err = startServer(config{}, d, func(int) []string {
		return []string{
			"sentinel monitor " + MasterName + " " + masterHost + " " + masterPort + " 1",
			// Long enough that a master slow to answer on a loaded
			// machine (two cores, -race) is not failed over under a
			// test; no test here waits for a failover.
			"sentinel down-after-milliseconds " + MasterName + " 10000",
			"sentinel failover-timeout " + MasterName + " 10000",
		}
	}, "--sentinel")
	if err != nil {
		return fail(err)
	}
	if err := s.waitKnown(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// waitKnown polls the sentinel until it reports the master and one replica.
func (s *Sentinel) waitKnown(ctx context.Context) error {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinel.Addr(), DialTimeout: time.Second, ReadTimeout: time.Second})
	defer sc.Close()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		if err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(portOf(s.master.Addr())) {
			replicas, rerr := sc.Replicas(ctx, MasterName).Result()
			if rerr == nil && len(replicas) == 1 {
				return nil
			}
			err = rerr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: sentinel does not know master %s and its replica after %v: %v", MasterName, startTimeout, err)
		case <-tick.C:
		}
	}
}

// pollInfo polls INFO section of srv until every substring in want shows.
func pollInfo(ctx context.Context, srv *Server, section string, want ...string) error {
	client := redis.NewClient(srv.Options())
	defer client.Close()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		info, err := client.Info(ctx, section).Result()
		if err == nil && containsAll(info, want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: %s INFO %s lacks %q after %v: %v\n%s", srv.Addr(), section, want, startTimeout, err, info)
		case <-tick.C:
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// SentinelAddrs returns the sentinels' addresses.
func (s *Sentinel) SentinelAddrs() []string { return []string{s.sentinel.Addr()} }

// Master and Replica return the data servers. The master is the one the
// setup started with; after a failover the sentinel names another.
func (s *Sentinel) Master() *Server  { return s.master }
func (s *Sentinel) Replica() *Server { return s.replica }

// FailoverOptions returns go-redis options for a client that finds the
// master through the sentinel.
func (s *Sentinel) FailoverOptions() *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:    MasterName,
		SentinelAddrs: s.SentinelAddrs(),
		DialTimeout:   2 * time.Second,
		ReadTimeout:   2 * time.Second,
		WriteTimeout:  2 * time.Second,
	}
}

// Client returns a Sentinel-backed go-redis client, closed when tb ends.
func (s *Sentinel) Client(tb testing.TB) *redis.Client {
	c := redis.NewFailoverClient(s.FailoverOptions())
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func (s *Sentinel) stop() {
	for _, srv := range []*Server{s.sentinel, s.replica, s.master} {
		if srv != nil {
			srv.stop()
		}
	}
}

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

func portOf(addr string) int {
	_, p := splitAddr(addr)
	n, _ := strconv.Atoi(p)
	return n
}
