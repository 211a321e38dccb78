// Package chaos is the fault suite of RELIABILITY.md: it starts real
// redis-server, orderapp and idemproxy processes on loopback, puts
// internal/faultproxy between them where a fault needs it, injects the fault
// (kill -9, latency, reset, blackhole, truncation, eviction settings, huge
// bodies, malformed keys) and checks the promise with two oracles only:
// orderapp's own counters (charges, orders) and a byte comparison of every
// replay with the response it replays.
//
// The promise: never two executions of one (scope, key) while the store keeps
// its data; never a truncated or foreign response replayed; never a key stuck
// longer than its lease.
//
// Tests tagged chaos (go test -tags chaos, make chaos) are the whole matrix;
// the untagged ones are the representative subset make test runs. Every
// wait polls a real condition (a log line, a metric, a record, a fault
// proxy's signal) under a bounded deadline; nothing sleeps for a duration
// hoping something happened. Each test logs one "observed:" line with its
// counts; RELIABILITY.md publishes them.
package chaos
