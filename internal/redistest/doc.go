// Package redistest starts real Redis servers for tests: a standalone
// server, a 3-master Redis Cluster, and a Sentinel setup (one master, one
// replica, one sentinel), each on loopback ports the operating system picks
// (or a unix socket), with its data directory in a temporary folder, and
// each torn down when the test (or the test binary) ends.
//
// It never touches a Redis it did not start: no fixed port, no FLUSHALL.
// Tests that share a server isolate themselves with unique keys.
//
// # Sharing
//
// Starting a server costs tens of milliseconds and a cluster about a
// second, so a package whose tests only need "a Redis" shares one per test
// binary. The package opts in with a TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
//
// after which Shared and SharedCluster return the same servers to every
// test, and Main stops them when the tests are done. Without that TestMain,
// Shared and SharedCluster start a server per call, torn down by the test's
// Cleanup, so they are always safe to call. A test that kills, restarts or
// reconfigures its server starts its own with Start.
//
// # Requirements
//
// The redis-server binary (Debian package redis-server) must be on PATH,
// and redis-cli (redis-tools) too for a cluster, which it creates; when
// one is missing, the test fails with a message naming the package to
// install. A sentinel is redis-server started with --sentinel, so no
// redis-sentinel binary is needed. Redis 7 or later: the tests use its
// ACL channel rules and script effects replication.
package redistest
