package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Renew implements store.Store (renew.lua). A retry extends the lease again
// from the new now, which is what the owner asked for anyway.
func (s *Store) Renew(ctx context.Context, key store.Key, owner string, lease time.Duration) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if err := checkOwner(owner); err != nil {
		return err
	}
	ms, err := millis("lease", lease)
	if err != nil {
		return err
	}
	ok, err := renewScript.Run(ctx, s.client, []string{s.redisKey(key)}, owner, ms, s.offset()).Bool()
	return fenced("renew", key, ok, err)
}

// Finish implements store.Store (finish.lua). The response is encoded here
// (and compressed when large), so Redis stores opaque bytes. Each call
// carries a nonce: a go-redis retry of the call that finished the record
// succeeds again, while a second Finish by the same owner is refused.
func (s *Store) Finish(ctx context.Context, req store.FinishRequest) error {
	if err := req.Key.Validate(); err != nil {
		return err
	}
	if err := checkOwner(req.Owner); err != nil {
		return err
	}
	if req.State != store.Completed && req.State != store.Failed {
		return fmt.Errorf("redisstore: finish %v: state must be COMPLETED or FAILED, got %v", req.Key, req.State)
	}
	ttl, err := millis("ttl", req.TTL)
	if err != nil {
		return err
	}
	args := make([]any, 6, 6+maxChunks)
	args[0], args[1], args[2], args[3], args[4], args[5] = req.Owner, int(req.State), req.Status, ttl, nonce(), s.offset()
	// Larger than MaxResponseSize: completed, not replayable (no chunk), as
	// a replay would refuse to decode it.
	if req.State == store.Completed && req.Response != nil && payloadLen(req.Response) <= s.maxResponse {
		args = appendChunks(args, encodeResponse(req.Response, s.compressMin))
	}
	ok, err := finishScript.Run(ctx, s.client, []string{s.redisKey(req.Key)}, args...).Bool()
	return fenced("finish", req.Key, ok, err)
}

// Release implements store.Store (release.lua): the record is replaced by
// a short-lived tombstone that reads as absent, so that a go-redis retry of
// this call still succeeds.
func (s *Store) Release(ctx context.Context, key store.Key, owner string) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if err := checkOwner(owner); err != nil {
		return err
	}
	ok, err := releaseScript.Run(ctx, s.client, []string{s.redisKey(key)},
		owner, nonce(), releaseTombstone.Milliseconds(), s.offset()).Bool()
	return fenced("release", key, ok, err)
}

// fenced turns a fenced script's answer into the port's error.
func fenced(op string, key store.Key, ok bool, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: %s %v: %w", op, key, err)
	case !ok:
		return fmt.Errorf("redisstore: %s %v: %w", op, key, store.ErrNotOwner)
	}
	return nil
}
