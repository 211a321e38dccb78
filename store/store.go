package store

import (
	"context"
	"time"
)

// Store is the storage port of the middleware. Every method is one atomic
// operation; a networked backend does each in one round trip. Methods are
// safe for concurrent use. Errors other than the sentinels of this package
// mean the store could not be reached or answered badly; the middleware then
// applies its fail mode.
type Store interface {
	// Claim atomically looks up req.Key and, when it is absent, records it
	// IN_PROGRESS for req.Owner. See ClaimOutcome for every answer. A claim
	// repeated by the same owner with the same fingerprint (a client-side
	// retry after a lost reply) answers Claimed again, never Busy. A claim
	// that takes effect only after ctx's deadline (a networked backend that
	// ran it late) must take nothing, as far as the backend can tell by its
	// own clock: its caller gave up on it and will never finish it.
	Claim(ctx context.Context, req ClaimRequest) (ClaimResult, error)

	// Renew extends the lease of an IN_PROGRESS record held by owner to
	// lease from now. ErrNotOwner when the record is gone, finished, or
	// held by another owner.
	Renew(ctx context.Context, key Key, owner string, lease time.Duration) error

	// Finish turns the IN_PROGRESS record held by req.Owner into COMPLETED
	// or FAILED, kept for req.TTL. ErrNotOwner when the record is gone,
	// finished, or held by another owner. Finish does not keep req.Response's slices or maps after it
	// returns: the caller reuses its buffers.
	Finish(ctx context.Context, req FinishRequest) error

	// Release deletes the IN_PROGRESS record held by owner, so the key may be
	// used again. ErrNotOwner when the record is gone, finished, or held by
	// another owner.
	Release(ctx context.Context, key Key, owner string) error

	// Get returns the record of key, or ErrNotFound.
	Get(ctx context.Context, key Key) (Record, error)

	// Delete removes the record of key whatever its state (an operator's
	// action). ErrNotFound when there is no record to remove: absent,
	// expired or released, as Get would say.
	Delete(ctx context.Context, key Key) error

	// Wait blocks until the IN_PROGRESS record of key is finished, released
	// or deleted, or ctx ends (then it returns ctx.Err()). It returns nil at
	// once when the record is absent or not IN_PROGRESS. It does not poll in
	// a busy loop, and it does not watch the lease: an owner that dies
	// notifies nobody, so callers bound ctx by the lease time left
	// (ClaimResult.RetryAfter) and claim again to learn the outcome.
	Wait(ctx context.Context, key Key) error

	// Ping reports whether the store is reachable. A bounded backend that
	// would refuse every new key with ErrFull returns an error wrapping
	// ErrFull, so that a readiness probe can tell "full" from "down".
	Ping(ctx context.Context) error
}

// ClaimRequest is the input of Store.Claim.
type ClaimRequest struct {
	Key         Key
	Fingerprint Fingerprint
	// Owner is a fresh, unique token (a UUID) for this attempt.
	Owner string
	// Lease is how long the claim holds the key without a Renew. Short:
	// seconds.
	Lease time.Duration
	// TTL is how long the record is kept, whatever its state. Long: hours.
	TTL time.Duration
	// TakeOver asks to take over an abandoned record (lease passed) for
	// Owner instead of answering Abandoned.
	TakeOver bool
}

// ClaimOutcome is what Claim found.
type ClaimOutcome uint8

const (
	// Claimed: the key was absent (or abandoned and TakeOver was asked, or
	// already claimed by this very owner); the caller owns it now.
	Claimed ClaimOutcome = iota + 1
	// Replay: COMPLETED with a stored response; ClaimResult.Response holds it.
	Replay
	// Busy: another owner holds a live lease (the record is IN_PROGRESS);
	// ClaimResult.RetryAfter is the time left on it.
	Busy
	// NotReplayable: COMPLETED, but the response was not stored (too large).
	// The request must not run again, and cannot be replayed.
	NotReplayable
	// PreviouslyFailed: FAILED; ClaimResult.Status holds the upstream
	// status. The client must use a new key.
	PreviouslyFailed
	// Mismatch: the record was made by a request with another fingerprint.
	// The fingerprint is compared before anything else, so a different
	// request gets Mismatch whatever the record's state.
	Mismatch
	// Abandoned: IN_PROGRESS whose lease has passed (the owner died) and
	// TakeOver was not asked. The outcome upstream is unknown.
	Abandoned
)

func (o ClaimOutcome) String() string {
	switch o {
	case Claimed:
		return "claimed"
	case Replay:
		return "replay"
	case Busy:
		return "busy"
	case NotReplayable:
		return "not_replayable"
	case PreviouslyFailed:
		return "previously_failed"
	case Mismatch:
		return "mismatch"
	case Abandoned:
		return "abandoned"
	}
	return "unknown"
}

// ClaimResult is the answer of Store.Claim.
type ClaimResult struct {
	Outcome ClaimOutcome
	// Version is the claim's fencing token (Claimed).
	Version int64
	// TookOver is true when Claimed took over an abandoned record.
	TookOver bool
	// RetryAfter is the time left on the owner's lease (Busy).
	RetryAfter time.Duration
	// Status is the stored upstream status (Replay, NotReplayable, PreviouslyFailed).
	Status int
	// Response is the stored response (Replay).
	Response *Response
	// ExpiresIn is how long the record is kept from now, by the store's
	// clock (Replay; 0 when the backend does not say). Relative, so that a
	// caller caching the response needs no clock agreement with the store.
	ExpiresIn time.Duration
}

// FinishRequest is the input of Store.Finish.
type FinishRequest struct {
	Key   Key
	Owner string
	// State is Completed or Failed.
	State State
	// Status is the upstream status.
	Status int
	// Response is stored for replay when State is Completed; nil records the
	// request as completed but not replayable.
	Response *Response
	// TTL is how long the finished record is kept, from now.
	TTL time.Duration
}
