// Package redisstore is the Redis backend of store.Store, on go-redis v9:
// standalone, Sentinel or Cluster, through the narrow Client interface
// (*redis.Client, *redis.ClusterClient and redis.UniversalClient fit).
//
// # Keys and records
//
// The record of store.Key{Scope, ID} is one Redis hash at
//
//	<prefix>{<scope>:<id>}
//
// (prefix "idem:" by default). The braces make (scope, id) the hash tag, so
// every operation touches one key in one slot — no CROSSSLOT on a Cluster —
// while records spread over the slots. The parts are hashes the caller made
// and Key.Validate admits no brace, so a client cannot move the tag.
//
// A hash rather than one packed string: a script reads the few fields it
// decides on (HMGET) and fetches the stored response only to replay it, so
// a busy or mismatched claim never ships a body; and an operator can read a
// record with HGETALL. The fields:
//
//	s  state: 1 IN_PROGRESS, 2 COMPLETED, 3 FAILED, 4 released or deleted (tombstone)
//	f  fingerprint, 32 raw bytes
//	o  owner token (IN_PROGRESS, and a release's tombstone)
//	v  version (fencing token)
//	l  lease deadline, ms (IN_PROGRESS only)
//	e  logical expiry, ms
//	c  upstream status (finished only)
//	r  encoded response, or its first chunk (COMPLETED and replayable only; see below)
//	r1, r2, ...  its further chunks, and k their count, when it is chunked
//	b  1 when the response is kept in the response key instead (see below)
//	t  1 when the claim took over an abandoned record (IN_PROGRESS only)
//	n  nonce of the Finish, Release or Delete call that ended the claim
//
// A finished record keeps only what is read of it later, and a response of
// up to 2 KiB is kept in 64-byte chunks: every value then fits Redis's
// compact listpack encoding (hash-max-listpack-value, 64 by default), so a
// completed record with a small response takes about 360 bytes (MEMORY
// USAGE) where one long value would turn it into a hashtable of some 900.
//
// A larger response is a string of its own, the response key
// <prefix>{<scope>:<id>}:b (the same hash tag, so the same slot), expiring
// with its record. It never passes through a script: the store SETs it
// under a key named for the Finish call, <response key>:<nonce>, in the
// same pipeline as finish.lua, which RENAMEs it to the response key once
// the owner is verified and deletes it otherwise. A script copies every
// argument into Lua and again into the hash (some 4 ms of Redis's single
// thread for 1 MiB on a 2-core VM, every other client waiting), while SET
// keeps the buffer Redis read and RENAME moves it. Where staging fails
// without the fence having answered (an ACL user without SET or RENAME, a
// Cluster slot in migration), the response goes as one script argument
// instead, field r, as in earlier releases, and the staged copy is
// deleted; one that no script consumed (the connection dropped between
// the two) expires after a minute. The scripts derive the response key
// from the record key rather than declare it, and touch it only when
// field b is set: Cluster refuses a command naming a missing key in a
// migrating slot (TRYAGAIN), which would fail every claim there. Claim and
// Get read the response key in their scripts, so a replay is still one
// atomic read. A response key evicted without its record (an eviction
// policy other than noeviction, which CheckServer refuses by default)
// makes the record not replayable, as a response past MaxResponseSize is.
//
// # One script per operation
//
// Each operation is one Lua script (lua/*.lua, each opening with its
// KEYS/ARGV/return contract) run with EVALSHA, falling back to EVAL: the
// read, the decision and the write are atomic, in one round trip. Every
// write sets PEXPIREAT in the same script.
//
// # Clock
//
// Leases and expiries are measured by the Redis server's clock (TIME in the
// scripts), never by the proxies' clocks, which may disagree. A script may
// read TIME and then write because Redis replicates a script's effects —
// the HSET and PEXPIREAT it made — to replicas and the AOF, not the script
// to run again: by default from Redis 5, which is why that is the oldest
// Redis the store runs on (MinVersion; Redis 7 always does). Expiry is
// judged on the logical field e, and a logically expired record reads as
// absent; the key's own PEXPIREAT (at e) only collects garbage. Tests move
// the clock with an offset every script adds to TIME (always 0 outside
// tests), which is why expiry is never left to Redis alone.
//
// # Versions
//
// A claim's version is the Redis clock in microseconds, or the previous
// version plus one when that is greater. While a trace of the previous
// record is there (the record itself, or a released or deleted record's
// tombstone, kept 10 s) the version grows strictly; once none is (an
// expiry, a tombstone gone) it grows as long as the Redis clock does not go
// back. The version is advisory: the store fences with the owner token,
// never with the version, which it hands to upstreams that want to refuse
// a stale owner themselves.
//
// # Retries are safe
//
// go-redis may send a script again after a lost reply, when the first run
// did happen. Every script is safe to re-send:
//
//   - Claim by the same owner with the same fingerprint answers Claimed
//     with the same version and counts that owner's lease afresh, even when
//     it had passed (a re-send that comes after a takeover finds another
//     owner and answers Busy).
//   - Finish and Release carry a nonce per call, which the script stores
//     with its result: a re-send of the same call finds its own nonce and
//     succeeds again, so a lost reply never turns a success into
//     store.ErrNotOwner. That is all a nonce does: a second Finish or
//     Release call by the application (another nonce) gets
//     store.ErrNotOwner, as any call on a record no longer IN_PROGRESS for
//     that owner does.
//   - Release leaves a tombstone for 10 s that reads as absent; it keeps
//     the owner and nonce, so that a re-sent Release succeeds within that
//     time, and the version, so that the next claim's version still grows.
//   - Delete leaves a tombstone for 10 s too, with its nonce and no owner:
//     a re-sent Delete finds its own nonce and succeeds again, while
//     another Delete call gets store.ErrNotFound, as for any record that
//     reads as absent.
//   - Renew extends the lease again from the new now.
//
// Fencing rests on the owner token alone: Finish, Release and Renew act
// only for the owner the IN_PROGRESS record holds. So NewClient keeps
// go-redis retries on (MaxRetries 2): every Claimed answer, first or
// re-sent, comes with a lease that runs from the script's own now, so a
// retry never leaves two owners each holding a live lease.
//
// # Stored responses
//
// A response is stored as one compact binary string: a format byte, then
// status, headers with length prefixes, and the raw body — no base64, no
// JSON. Payloads from Config.CompressMinSize (8 KiB) on are compressed with
// S2 (github.com/klauspost/compress/s2) when that saves at least an eighth:
// it compresses at several hundred MB/s and decompresses at GB/s per core,
// so a replay of a large JSON body costs little CPU while Redis keeps a
// fraction of the bytes; gzip/flate would cost several times more CPU on
// every replay. Config.MaxResponseSize (16 MiB) bounds what a replay
// decodes, so that a damaged value cannot make it allocate without bound.
//
// # Wait
//
// Finish, Release and Delete PUBLISH on a channel named like the key. Wait
// has its channel subscribed, waits until a PING sent after the SUBSCRIBE
// on the same connection is answered, then looks at the record and blocks
// on the message or its context. All waits of a Store share one
// subscription connection, owned by one goroutine that does all its I/O,
// so a Wait returns by its context even while that connection cannot be
// dialled; see waiters.go and subscription.go.
//
// # ACL users
//
// An ACL user needs the keys ~<prefix>*; the commands EVALSHA and EVAL,
// and those the scripts run: TIME, HMGET, HGET, GET, HSET, HDEL, DEL,
// RENAME, PEXPIREAT and PUBLISH; SET, for a response too large for chunks
// (see "Keys and records"); PING; SUBSCRIBE and UNSUBSCRIBE for Wait; INFO
// and CONFIG GET for CheckServer. A user granted only the commands of
// earlier releases (no SET, RENAME or GET) still works: a large response
// is then sent inside the script, as it was before, which costs Redis
// milliseconds per MiB and the extra refused SET. Wait mode also needs
// the channels: the rule &<prefix>* (e.g. "user idem on >secret ~idem:*
// &idem:* +@all"),
// which Redis 7 does not grant by default
// (acl-pubsub-default resetchannels). Without it the scripts still write
// (they PUBLISH with pcall, so a refused notification never fails a Finish,
// Release or Delete that is done), but Wait returns the server's NOPERM at
// once, and CheckServerWith warns at startup.
//
// # The server
//
// The store needs Redis 5 or later (MinVersion). An evicted record is a
// silent double execution, so CheckServer refuses a maxmemory-policy other
// than noeviction unless told otherwise, refuses a Redis older than
// MinVersion, and reports what the server's persistence loses (AOF,
// appendfsync, RDB): without persistence a restart forgets every record.
// A server's refusal of INFO or CONFIG (managed Redis) is reported, not
// fatal. ParseURL and NewClient make a client with deliberate timeouts
// and retries; see NewClient.
package redisstore
