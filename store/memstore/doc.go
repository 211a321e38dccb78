// Package memstore is the in-process store.Store: the same semantics as the
// Redis backend, for tests and for a single replica. Records live in one map
// behind one mutex, indexed by expiry and by finish order. Under it every
// operation does a few map and index operations; the costly part, copying
// responses, is done outside it. The parallel benchmarks' mutex profile
// shows little contention on the two cores idemproxy targets (allocation
// and GC dominate), so the map is not sharded.
//
// # Time
//
// Leases, TTLs and versions are measured against Config.Now, so tests can
// drive them with a fake clock instead of sleeping. An expired record is
// treated as absent the moment its TTL passes, and is removed lazily: when
// its key is next touched, or by the next claim of a new key, which drops
// every expired record, soonest first, from a heap ordered by expiry
// (O(log n) per record dropped; one comparison when none has expired).
// There is no background goroutine and nothing to close.
//
// A record never expires while its lease is alive: a claim or renewal whose
// lease outlasts the record's TTL extends the record to the lease deadline,
// because an IN_PROGRESS record that vanished under a live owner would let
// a retry run the request twice.
//
// # Bounds and eviction
//
// The store holds at most Config.MaxRecords records. When a claim of a new
// key finds it full, expired records are dropped first; if none has
// expired, the store forgets (evicts) the finished record, COMPLETED or
// FAILED, that finished first: a FIFO of finished records in the order
// Finish ran, so eviction is O(1), never a scan. Finish order rather than
// expiry order, so that Config.MinAge can protect the young ones with one
// comparison; with one TTL for every route it is expiry order too. An
// IN_PROGRESS record is never evicted, live or abandoned: that would let a
// retry run alongside its owner, or run again an outcome that is unknown.
// An evicted record's retry window was shorter than its TTL: a retry after
// the eviction runs the request again. So size MaxRecords as new keys per
// second times the TTL (10 new keys/s × 24 h = 864,000 records).
//
// Only when nothing may be forgotten — every record IN_PROGRESS, or the
// oldest finished one finished within Config.MinAge — does a claim of a
// new key fail with store.ErrFull, and Ping returns that error too, so
// that a readiness probe reports a store that refuses every new key.
//
// The stored responses together hold at most Config.MaxBytes; a response
// that would pass it (once expired records are dropped) is recorded
// completed but not replayable, so memory stays bounded whatever the body
// sizes. Bytes never cause an eviction: a retry of a not-replayable record
// gets 409, while a retry of an evicted one runs again.
//
// # Metrics and logs
//
// With Config.Registerer the store exports idemproxy_memstore_evictions_total
// (records forgotten before their TTL), idemproxy_memstore_full_refusals_total
// (new keys refused with store.ErrFull), idemproxy_memstore_records and
// idemproxy_memstore_max_records. With Config.Logger it warns of evictions
// at most once a minute (by Config.Now), with the count since the last
// line; the line is written outside the store's lock.
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
