// Package memstore is the in-process store.Store: the same semantics as the
// Redis backend, for tests and for a single replica. Records live in one map
// behind one mutex. Under it every operation does a few map operations; the
// costly part, copying responses, is done outside it. The parallel
// benchmarks' mutex profile shows little contention on the two cores
// idemproxy targets (allocation and GC dominate), so the map is not sharded.
//
// # Time
//
// Leases, TTLs and versions are measured against Config.Now, so tests can
// drive them with a fake clock instead of sleeping. An expired record is
// treated as absent the moment its TTL passes, and is removed lazily: when
// its key is next touched, by a small sample of the map checked on every new
// claim, and by a full sweep when the store is full. There is no background
// goroutine and nothing to close.
//
// A record never expires while its lease is alive: a claim or renewal whose
// lease outlasts the record's TTL extends the record to the lease deadline,
// because an IN_PROGRESS record that vanished under a live owner would let a
// retry run the request twice.
//
// # Bounds
//
// The store holds at most Config.MaxRecords records. When a new claim finds
// it full, expired records are dropped; if none are, the claim fails with
// store.ErrFull. A live record is never evicted to make room: that too would
// let a retry run twice. The stored responses together hold at most
// Config.MaxBytes; a response that would pass it (once expired records are
// dropped) is recorded completed but not replayable, so memory stays bounded
// whatever the body sizes.
//
// # Versions
//
// A claim's version (its fencing token) is the clock's time in microseconds
// since the Unix epoch, raised to one more than the last version this store
// issued when the clock has not moved on. Versions therefore grow with every
// claim of any key — across releases, expiries, takeovers and a clock that
// steps back — and, while the clock is sane, across restarts of the process.
//
// # Wait
//
// Every IN_PROGRESS record carries a channel that is closed when it stops
// being IN_PROGRESS: finished, released, deleted, or found expired. Wait
// blocks on that channel and on ctx; it never polls.
//
// # Copies
//
// Responses are deep-copied on the way in (Finish) and on the way out (Claim,
// Get), so a caller that changes a response it passed or received never
// changes what is replayed.
package memstore
