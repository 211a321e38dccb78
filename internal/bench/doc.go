// Package bench is the benchmark harness behind `make bench` (BENCHMARKS.md,
// issue 7): it measures idemproxy against a tuned plain reverse proxy on one
// machine, with one load generator, in one run.
//
// Run starts, all on loopback and on free ports:
//
//   - redis-server, without persistence (--save ” --appendonly no);
//   - a Redis Cluster of three masters of the same (StartCluster);
//   - Upstream, an orderapp-like trivial API (idembench upstream), with a
//     route that answers after 2 ms on a timer (/slow-orders);
//   - the plain proxy (idembench plain): cmd/idemproxy's own ReverseProxy,
//     Transport and server, built by the same constructors
//     (internal/upstream) from the same configuration file, without the
//     middleware (see NewPlainProxy);
//   - the idemproxy binary under test, with the embedded config.yaml, and
//     a second one on the Cluster.
//
// wrk (one thread, keep-alive, one Lua script for every target, so the load
// generator costs the same everywhere) then drives each target in
// interleaved rounds — direct, plain, first request, replay, pass-through,
// first request with a JSON scope, first request on the Cluster, then the
// plain proxy and a first request behind the 2 ms upstream at 8
// connections; A B C D E F G H I A B C ... — and again at one connection
// for the unloaded latencies. Every ratio is to the plain proxy of the
// same round (the 2 ms rows' to the plain 2 ms row), and the tables show
// the median. Each idemproxy run is checked against idemproxy's own
// metrics: a "replay" row whose requests executed is reported, not hidden.
// Every run also accounts each process's CPU time per request
// (/proc/<pid>/stat, wrk's rusage) and Redis's script time (INFO
// commandstats; the Cluster's nodes summed): on two shared cores, that
// says what bounds the throughput. A Redis round trip is measured with the
// client idemproxy uses (redisstore.NewClient), hot and cold, for the
// "≤ 2 round trips + 50 µs" bound; MEMORY USAGE of completed records says
// what a record costs Redis; and a fresh idemproxy gets 1 MiB bodies while
// its peak RSS (VmHWM) is read. The report opens with a summary of the
// issue's targets, met or missed (Summary).
//
// Profile runs the profiling build (IdemHandler: the same middleware,
// ReverseProxy and Redis store, wired in-process with net/http/pprof, since
// the product binary has no pprof) under the same loads and saves CPU and
// allocation profiles.
package bench
