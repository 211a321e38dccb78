// Package store holds the storage port of idemproxy: the Store interface the
// middleware needs, the record and response types it exchanges, and the
// sentinel errors every backend returns. It holds no backend; those live in
// their own packages (store/memstore, store/redisstore), and store/storetest
// is the conformance suite every backend must pass.
//
// # Record lifecycle
//
// A record is addressed by a Key (caller scope, idempotency key), both already
// hashed by the caller. Claim creates it IN_PROGRESS with an owner token and a
// short lease; the owner renews the lease while the work runs (Renew), then
// either finishes it (Finish: COMPLETED with a stored response, or FAILED with
// the status) or removes it (Release) so the key may be retried. Finish,
// Release and Renew are fenced by the owner token: an owner whose lease has
// been taken over can never overwrite the newer owner's record.
//
// The lease and the record's lifetime are separate: the lease is seconds, the
// record is kept for its TTL (hours). An IN_PROGRESS record whose lease has
// passed is "abandoned": the owner died, and the outcome upstream is unknown.
//
// Every operation is shaped so that a networked backend can do it in one
// atomic round trip.
package store
