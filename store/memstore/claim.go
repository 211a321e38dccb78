package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Claim implements store.Store. It fails with an error that is not a store
// sentinel when req has no owner or a non-positive lease or TTL: that is a
// caller's bug, not an answer about the key. A claim whose ctx has ended
// takes nothing: its caller has given up on it.
func (s *Store) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	if err := ctx.Err(); err != nil {
		return store.ClaimResult{}, fmt.Errorf("memstore: claim: %w", err)
	}
	if err := req.Key.Validate(); err != nil {
		return store.ClaimResult{}, err
	}
	if req.Owner == "" || req.Lease <= 0 || req.TTL <= 0 {
		return store.ClaimResult{}, fmt.Errorf("memstore: claim needs an owner, a lease and a TTL, got owner %q, lease %v, TTL %v", req.Owner, req.Lease, req.TTL)
	}
	res, replay, err := s.claim(req)
	s.evictLog.report(s)
	if replay != nil {
		// A finished record's response never changes again, so the copy,
		// the costly part of a replay, is made outside the lock.
		res.Response = cloneResponse(replay)
	}
	return res, err
}

// claim does Claim's work under s.mu. For a Replay it returns the stored
// response, which the caller must copy before handing it out.
func (s *Store) claim(req store.ClaimRequest) (store.ClaimResult, *store.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()

	r := s.lookup(req.Key, now)
	if r == nil {
		if err := s.makeRoom(now); err != nil {
			return store.ClaimResult{}, nil, err
		}
		r = &record{key: req.Key, fingerprint: req.Fingerprint, done: make(chan struct{}), heapIndex: -1}
		s.hold(r, req, now, s.nextVersion(now))
		s.add(r)
		return store.ClaimResult{Outcome: store.Claimed, Version: r.version}, nil, nil
	}

	// The fingerprint first: a different request learns nothing else.
	if r.fingerprint != req.Fingerprint {
		return store.ClaimResult{Outcome: store.Mismatch}, nil, nil
	}
	switch r.state {
	case store.Completed:
		if r.response == nil {
			return store.ClaimResult{Outcome: store.NotReplayable, Status: r.status}, nil, nil
		}
		return store.ClaimResult{Outcome: store.Replay, Status: r.status, ExpiresIn: r.expiresAt.Sub(now)}, r.response, nil
	case store.Failed:
		return store.ClaimResult{Outcome: store.PreviouslyFailed, Status: r.status}, nil, nil
	}

	switch {
	case r.owner == req.Owner:
		// The owner's own claim again (a retry after a lost reply): the
		// same claim, so the same version, with its lease counted afresh.
		s.hold(r, req, now, r.version)
		return store.ClaimResult{Outcome: store.Claimed, Version: r.version}, nil, nil
	case now.Before(r.leaseUntil):
		return store.ClaimResult{Outcome: store.Busy, RetryAfter: r.leaseUntil.Sub(now)}, nil, nil
	case !req.TakeOver:
		return store.ClaimResult{Outcome: store.Abandoned}, nil, nil
	}
	// Take over: r keeps its done channel, so waiters go on waiting for
	// the new owner to finish.
	s.hold(r, req, now, s.nextVersion(now))
	return store.ClaimResult{Outcome: store.Claimed, Version: r.version, TookOver: true}, nil, nil
}

// hold makes r an IN_PROGRESS claim of req at version. Called with s.mu held.
func (s *Store) hold(r *record, req store.ClaimRequest, now time.Time, version int64) {
	r.state = store.InProgress
	r.owner = req.Owner
	r.version = version
	r.leaseUntil = now.Add(req.Lease)
	s.expireAt(r, now.Add(max(req.TTL, req.Lease)))
}
