package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// outcomes maps claim.lua's outcome codes to the port's.
var outcomes = [...]store.ClaimOutcome{
	1: store.Claimed,
	2: store.Replay,
	3: store.Busy,
	4: store.NotReplayable,
	5: store.PreviouslyFailed,
	6: store.Mismatch,
	7: store.Abandoned,
}

// outcomeLate is claim.lua's answer to a claim run after its not-after
// deadline: it took nothing.
const outcomeLate = 8

// ErrClaimLate reports a claim that Redis ran only after the caller's
// context deadline (a stalled server, a long queue): it took nothing, and
// the key is as it was.
var ErrClaimLate = errors.New("redisstore: the claim reached Redis after its deadline and took nothing")

// Claim implements store.Store in one script (claim.lua). A claim retried
// by go-redis after a lost reply finds its own owner token and answers
// Claimed with the same version: retries cannot turn into Busy.
//
// The claim carries ctx's deadline, converted to the server's clock: a
// claim Redis runs only after it (when the caller has given up, told its
// client the request was not run, and will never finish or renew the
// claim) takes nothing and answers ErrClaimLate. Before the store has seen
// a reply it cannot convert, and the claim carries no deadline; the caller
// still releases a claim it gave up on. A claim refused as late while ctx
// is still alive was refused by a wrong estimate, not by time: it is sent
// once more, converted by a fresh one.
func (s *Store) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	if err := req.Key.Validate(); err != nil {
		return store.ClaimResult{}, err
	}
	if err := checkOwner(req.Owner); err != nil {
		return store.ClaimResult{}, err
	}
	lease, err := millis("lease", req.Lease)
	if err != nil {
		return store.ClaimResult{}, err
	}
	ttl, err := millis("ttl", req.TTL)
	if err != nil {
		return store.ClaimResult{}, err
	}
	takeOver := "0"
	if req.TakeOver {
		takeOver = "1"
	}
	args := []any{req.Fingerprint[:], req.Owner, lease, ttl, takeOver, s.offset(), int64(0)}
	res, sample, err := s.claimOnce(ctx, req.Key, args)
	if errors.Is(err, ErrClaimLate) && ctx.Err() == nil && sample != nil {
		// Refused as late while its caller still waits: the estimate of
		// the server's clock is wrong (the server's clock stepped, say).
		// The refused claim took nothing; it is sent once more with the
		// deadline converted by its own reply's clock, and a second
		// refusal stands.
		s.server.reset()
		s.server.observe(*sample)
		res, sample, err = s.claimOnce(ctx, req.Key, args)
	}
	if sample != nil {
		s.server.observe(*sample)
	}
	if err != nil {
		return store.ClaimResult{}, fmt.Errorf("redisstore: claim %v: %w", req.Key, err)
	}
	return res, nil
}

// claimOnce runs claim.lua with args, ARGV[7] set from ctx's deadline; the
// sample is the reply's reading of the server's clock, nil without one.
func (s *Store) claimOnce(ctx context.Context, key store.Key, args []any) (store.ClaimResult, *clockSample, error) {
	args[6] = int64(0)
	if deadline, ok := ctx.Deadline(); ok {
		args[6], _ = s.server.serverMillis(deadline)
	}
	sent := time.Now()
	v, err := claimScript.Run(ctx, s.client, []string{s.redisKey(key)}, args...).Slice()
	if err != nil {
		return store.ClaimResult{}, nil, err
	}
	var sample *clockSample
	if len(v) == 8 {
		if ms, ok := v[7].(int64); ok {
			smp := newSample(sent, time.Now(), ms)
			sample = &smp
		}
	}
	res, err := parseClaim(v, s.maxResponse)
	return res, sample, err
}

// parseClaim reads claim.lua's {outcome, version, took_over, retry_after_ms,
// status, response, expires_in_ms, server_ms}; a response may be at most
// maxResponse bytes.
func parseClaim(v []any, maxResponse int) (store.ClaimResult, error) {
	if len(v) != 8 {
		return store.ClaimResult{}, fmt.Errorf("script returned %d values, want 8", len(v))
	}
	expiresIn, ok := v[6].(int64)
	if !ok {
		return store.ClaimResult{}, fmt.Errorf("script value 6 is %T, want an integer", v[6])
	}
	var n [5]int64
	for i := range n {
		x, ok := v[i].(int64)
		if !ok {
			return store.ClaimResult{}, fmt.Errorf("script value %d is %T, want an integer", i, v[i])
		}
		n[i] = x
	}
	if n[0] == outcomeLate {
		return store.ClaimResult{}, ErrClaimLate
	}
	if n[0] < 1 || n[0] >= int64(len(outcomes)) {
		return store.ClaimResult{}, fmt.Errorf("script returned outcome %d", n[0])
	}
	res := store.ClaimResult{
		Outcome:    outcomes[n[0]],
		Version:    n[1],
		TookOver:   n[2] == 1,
		RetryAfter: time.Duration(n[3]) * time.Millisecond,
		Status:     int(n[4]),
	}
	if res.Outcome == store.Replay {
		if v[5] == nil {
			return store.ClaimResult{}, fmt.Errorf("replay without a stored response")
		}
		raw, err := joinChunks(v[5])
		if err != nil {
			return store.ClaimResult{}, err
		}
		resp, err := decodeResponse(raw, maxResponse)
		if err != nil {
			return store.ClaimResult{}, err
		}
		res.Response = resp
		res.ExpiresIn = time.Duration(expiresIn) * time.Millisecond
	}
	return res, nil
}
