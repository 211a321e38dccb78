package redistest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared holds the servers Main shares across a test binary.
var shared struct {
	mu      sync.Mutex
	managed bool // Main is running the tests
	dirs    []string

	server    *Server
	serverErr error

	cluster    *Cluster
	clusterErr error
}

// Main runs the tests of a package that shares servers (see the package
// doc), then stops the servers Shared and SharedCluster started. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.managed = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server != nil {
		shared.server.stop()
	}
	if shared.cluster != nil {
		shared.cluster.stop()
	}
	for _, d := range shared.dirs {
		_ = os.RemoveAll(d)
	}
	shared.managed = false
	return code
}

// Shared returns the standalone server shared by the test binary (started
// on first use), or, without Main, a server of tb's own. Tests on it use
// unique keys and must not Kill or Restart it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	requireBinaries(tb, false)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.managed {
		return Start(tb)
	}
	if shared.server == nil && shared.serverErr == nil {
		shared.server, shared.serverErr = startShared(func(dir string) (*Server, error) {
			return startServer(config{}, dir, nil)
		})
		if shared.server != nil {
			shared.server.shared = true
		}
	}
	if shared.serverErr != nil {
		tb.Fatal(shared.serverErr)
	}
	return shared.server
}

// SharedCluster returns the cluster shared by the test binary (started on
// first use), or, without Main, a cluster of tb's own.
func SharedCluster(tb testing.TB) *Cluster {
	tb.Helper()
	requireBinaries(tb, true)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.managed {
		return StartCluster(tb)
	}
	if shared.cluster == nil && shared.clusterErr == nil {
		shared.cluster, shared.clusterErr = startShared(startCluster)
		if shared.cluster != nil {
			for _, n := range shared.cluster.nodes {
				n.shared = true
			}
		}
	}
	if shared.clusterErr != nil {
		tb.Fatal(shared.clusterErr)
	}
	return shared.cluster
}

// startShared starts something in a directory of its own that Main
// removes; a failure is kept, so that every later test fails the same way
// at once instead of retrying.
func startShared[T any](start func(dir string) (T, error)) (T, error) {
	var zero T
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		return zero, fmt.Errorf("redistest: %w", err)
	}
	shared.dirs = append(shared.dirs, dir)
	return start(dir)
}
