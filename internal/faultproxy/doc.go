// Package faultproxy is a small TCP proxy for fault-injection tests. It sits
// on loopback between two real components — idemproxy and Redis, idemproxy
// and its upstream — and forwards bytes both ways until the test tells it to
// misbehave:
//
//   - SetLatency delays every chunk of one direction (a slow server, a slow
//     network); order within a connection is kept.
//   - SetFilter sees every chunk of every connection, in both directions,
//     and decides its fate: pass it, delay it, hold it and everything after
//     it (a blackhole: the bytes vanish, the connection stays open), reset
//     the connection (RST), or close it (FIN, a stream cut short) — each
//     after forwarding a chosen prefix of the chunk. Filters match on the
//     bytes (a Lua script's SHA, a header terminator), so a test can lose the
//     reply to one particular command, or stall one particular script.
//   - ResetAll resets every open connection at once; Pause closes the
//     listener (new connections are refused) and resets the open ones,
//     Resume listens again on the same port.
//
// A filter runs on the connection's own goroutine, so it may keep state per
// Link without locking as long as that state is only touched for one Link;
// state shared across links needs its own synchronisation.
//
// Everything is bounded: reads use a fixed buffer, queued chunks are limited
// per direction (a full queue stops reading, as a full TCP window would), and
// Close tears down every connection and goroutine.
package faultproxy
