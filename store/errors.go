package store

import "errors"

var (
	// ErrNotFound reports that no record exists for the key.
	ErrNotFound = errors.New("store: record not found")

	// ErrNotOwner reports that a fenced operation (Finish, Release, Renew)
	// was refused: the record is gone, finished, or held by another owner
	// token. The caller's claim is stale and it must not retry the operation.
	ErrNotOwner = errors.New("store: not the owner of the record")

	// ErrFull reports that a bounded backend has no room for a new record
	// and nothing it may forget to make room: every record is IN_PROGRESS
	// (evicting one would let a retry execute alongside its owner), or
	// protected by a minimum age. A backend that may forget finished
	// records does so instead of returning ErrFull.
	ErrFull = errors.New("store: full")

	// ErrInvalidKey reports a Key whose parts are empty or contain bytes
	// outside the allowed set (see Key).
	ErrInvalidKey = errors.New("store: invalid key")
)
