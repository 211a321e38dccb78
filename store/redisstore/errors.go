package redisstore

import "errors"

var (
	// ErrTooManyWaiters reports a Wait refused because Config.MaxWaiters
	// calls are already waiting. It is returned rather than nil so that the
	// caller does not claim again at once and spin; it should answer as
	// for a busy key (409 with Retry-After).
	ErrTooManyWaiters = errors.New("redisstore: too many waiters")

	// ErrClosed reports a Wait on a closed Store.
	ErrClosed = errors.New("redisstore: store closed")
)
