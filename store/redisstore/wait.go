package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/idemproxy/idemproxy/store"
)

// Wait implements store.Store without polling: finish.lua, release.lua and
// delete.lua PUBLISH on a channel named like the record's key, and Wait
// looks at the record only once its subscription to that channel is
// confirmed (see waiters), so that no notification falls between the look
// and the block. PUBLISH rather than SPUBLISH: it works from Redis 2 on and
// in every topology (a Cluster broadcasts it to every node, so the
// subscription may sit on any node).
//
// Wait returns by its context whatever the subscription connection does
// (it may be down, or hang in a dial). It returns ErrTooManyWaiters at once
// past Config.MaxWaiters, context.DeadlineExceeded after Config.MaxWait
// whatever ctx says, and the server's error at once when it refuses the
// subscription (NOPERM: an ACL user without &<prefix>*, see the package
// doc).
func (s *Store) Wait(ctx context.Context, key store.Key) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.maxWait)
	defer cancel()

	wt, err := s.waits.register(s.redisKey(key))
	if err != nil {
		return waitErr(ctx, key, err)
	}
	defer s.waits.unregister(wt)
	for {
		// Ready: the channel is subscribed (first, or again on a new
		// connection that may have missed a message), so look.
		select {
		case <-wt.done:
			return nil
		case <-wt.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := s.waits.refusal(wt); err != nil {
			return waitErr(ctx, key, fmt.Errorf("subscribe: %w", err))
		}
		busy, err := s.inProgress(ctx, key)
		if err != nil {
			return waitErr(ctx, key, err)
		}
		if !busy {
			return nil
		}
		if f := s.waitBlocked.Load(); f != nil {
			(*f)(wt.channel) // a test's signal: only the notification wakes wt now
		}
	}
}

// inProgress reports whether key's record is IN_PROGRESS, without fetching
// its response.
func (s *Store) inProgress(ctx context.Context, key store.Key) (bool, error) {
	v, err := s.get(ctx, key, false)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	state, _ := v[0].(string)
	return state == strconv.Itoa(int(store.InProgress)), nil
}

// waitErr prefers the context's error: a Redis call cut short by ctx fails
// with a network timeout, but the caller asked for ctx.Err().
func waitErr(ctx context.Context, key store.Key, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrTooManyWaiters) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return fmt.Errorf("redisstore: wait %v: %w", key, err)
}
