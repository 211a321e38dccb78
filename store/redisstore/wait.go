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
// subscribes to it (see waiters) before it looks at the record, so that no
// notification falls between the look and the block. PUBLISH rather than
// SPUBLISH: it works from Redis 2 on and in every topology (a Cluster
// broadcasts it to every node, so the subscription may sit on any node).
//
// Wait returns ErrTooManyWaiters at once past Config.MaxWaiters, and
// context.DeadlineExceeded after Config.MaxWait whatever ctx says.
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
		return err
	}
	defer s.waits.unregister(wt)
	for {
		select {
		case <-wt.done:
			return nil
		default:
		}
		if err := s.waits.barrier(ctx, wt); err != nil {
			if errors.Is(err, errRecheck) {
				continue
			}
			return waitErr(ctx, key, err)
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
		select {
		case <-wt.done:
			return nil
		case <-wt.recheck:
		case <-ctx.Done():
			return ctx.Err()
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
	if errors.Is(err, ErrClosed) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return fmt.Errorf("redisstore: wait %v: %w", key, err)
}
