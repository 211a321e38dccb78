package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

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
	call := nonce()
	args := make([]any, 6, 6+maxChunks)
	args[0], args[1], args[2], args[3], args[4], args[5] = req.Owner, int(req.State), req.Status, ttl, call, s.offset()
	// Larger than MaxResponseSize: completed, not replayable (no chunk), as
	// a replay would refuse to decode it.
	if req.State == store.Completed && req.Response != nil && payloadLen(req.Response) <= s.maxResponse {
		bufp := getEncodeBuf()
		defer putEncodeBuf(bufp)
		enc := encodeResponse(*bufp, req.Response, s.compressMin)
		*bufp = enc[:0] // grown, or (compressed) not: either is fine to keep
		if !chunked(len(enc)) {
			ok, err := s.finishStaged(ctx, req.Key, call, enc, args)
			return fenced("finish", req.Key, ok, err)
		}
		args = appendChunks(args, enc)
	}
	ok, err := finishScript.Run(ctx, s.client, []string{s.redisKey(req.Key)}, args...).Bool()
	return fenced("finish", req.Key, ok, err)
}

// stagedTTL bounds how long a staged response outlives a finish.lua that
// never ran after its SET (a connection dropped between the two): the
// script follows the SET in the same pipeline, so it needs the key for
// microseconds, and a script that finds it gone writes nothing.
const stagedTTL = time.Minute

// finishStaged finishes with a response too large for chunks: SET under a
// key named for this call, then finish.lua, which moves it to the record's
// response key once the fence holds and deletes it otherwise, in one
// pipeline (one round trip; a re-send repeats both, and the script knows
// its nonce). A value SET by a command is the buffer Redis read, where a
// script argument is copied twice; see finish.lua.
//
// Where staging fails but the fence answered nothing (an ACL user without
// SET or RENAME, a Redis Cluster slot in migration, which refuses the two
// keys while they sit on different nodes), the response goes as one script
// argument instead, as in earlier releases, with the same nonce: if the
// staged finish did run and only its reply was lost, the argument finish
// finds its own nonce and writes nothing. Not after a refusal for memory
// (the argument would be refused as well) or when ctx ended.
func (s *Store) finishStaged(ctx context.Context, key store.Key, call string, enc []byte, args []any) (bool, error) {
	rk := s.redisKey(key)
	keys := []string{rk, rk + ":b:" + call}
	pipe := s.client.Pipeline()
	set := pipe.Set(ctx, keys[1], enc, stagedTTL)
	run := finishScript.EvalSha(ctx, pipe, keys, args...)
	_, _ = pipe.Exec(ctx)
	if err := run.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// A server that does not know the script yet (a restart, a
		// failover): the staged response is there, the script alone
		// is sent again, in full.
		run = finishScript.Eval(ctx, s.client, keys, args...)
	}
	ok, err := run.Bool()
	if err == nil {
		return ok, nil
	}
	if set.Err() != nil {
		// The script found no staged response because its SET was
		// refused: that is the error worth reporting.
		err = set.Err()
	}
	if redis.HasErrorPrefix(err, "OOM") || ctx.Err() != nil {
		return false, err
	}
	ok, err = finishScript.Run(ctx, s.client, keys[:1], append(args, enc)...).Bool()
	if set.Err() == nil {
		// The staged copy the script did not move (it wrote nothing).
		pipe = s.client.Pipeline()
		pipe.Del(ctx, keys[1])
		_, _ = pipe.Exec(ctx)
	}
	return ok, err
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
