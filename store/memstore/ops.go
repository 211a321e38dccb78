package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// owned returns the IN_PROGRESS record of key held by owner, or
// store.ErrNotOwner. Called with s.mu held.
func (s *Store) owned(key store.Key, owner string, now time.Time) (*record, error) {
	r := s.lookup(key, now)
	if r == nil || r.state != store.InProgress || r.owner != owner {
		return nil, store.ErrNotOwner
	}
	return r, nil
}

// Renew implements store.Store. A lapsed lease that nobody took over is
// still the owner's to renew.
func (s *Store) Renew(_ context.Context, key store.Key, owner string, lease time.Duration) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if lease <= 0 {
		return fmt.Errorf("memstore: renew needs a positive lease, got %v", lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, err := s.owned(key, owner, now)
	if err != nil {
		return err
	}
	r.leaseUntil = now.Add(lease)
	if r.expiresAt.Before(r.leaseUntil) {
		s.expireAt(r, r.leaseUntil)
	}
	return nil
}

// Finish implements store.Store. A FAILED record keeps no response, since it
// is never replayed.
func (s *Store) Finish(_ context.Context, req store.FinishRequest) error {
	if err := req.Key.Validate(); err != nil {
		return err
	}
	if req.State != store.Completed && req.State != store.Failed || req.TTL <= 0 {
		return fmt.Errorf("memstore: finish needs state COMPLETED or FAILED and a positive TTL, got %v, TTL %v", req.State, req.TTL)
	}
	// Copy before taking the lock: the body may be large.
	var resp *store.Response
	if req.State == store.Completed {
		resp = cloneResponse(req.Response)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, err := s.owned(req.Key, req.Owner, now)
	if err != nil {
		return err
	}
	size := resp.Size()
	if s.bytes+size > s.maxBytes {
		s.dropExpired(now)
		if s.bytes+size > s.maxBytes {
			resp, size = nil, 0 // completed all the same, but not replayable
		}
	}
	r.state = req.State
	r.status = req.Status
	r.response = resp
	r.size = size
	s.bytes += size
	r.leaseUntil = time.Time{}
	r.owner = "" // a finished record has no owner (store.Record.Owner)
	s.expireAt(r, now.Add(req.TTL))
	r.finishedAt = now
	s.finished.append(r)
	close(r.done)
	return nil
}

// Release implements store.Store.
func (s *Store) Release(_ context.Context, key store.Key, owner string) error {
	if err := key.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.owned(key, owner, s.now())
	if err != nil {
		return err
	}
	s.remove(r)
	return nil
}

// Get implements store.Store.
func (s *Store) Get(_ context.Context, key store.Key) (store.Record, error) {
	if err := key.Validate(); err != nil {
		return store.Record{}, err
	}
	rec, resp, err := s.get(key)
	// A stored response never changes, so it is copied outside the lock.
	rec.Response = cloneResponse(resp)
	return rec, err
}

// get does Get's work under s.mu, returning the stored response uncopied.
func (s *Store) get(key store.Key) (store.Record, *store.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.lookup(key, s.now())
	if r == nil {
		return store.Record{}, nil, store.ErrNotFound
	}
	return store.Record{
		State:       r.state,
		Fingerprint: r.fingerprint,
		Owner:       r.owner,
		Version:     r.version,
		LeaseUntil:  r.leaseUntil,
		ExpiresAt:   r.expiresAt,
		Status:      r.status,
	}, r.response, nil
}

// Delete implements store.Store.
func (s *Store) Delete(_ context.Context, key store.Key) error {
	if err := key.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.lookup(key, s.now())
	if r == nil {
		return store.ErrNotFound
	}
	s.remove(r)
	return nil
}

// Wait implements store.Store.
func (s *Store) Wait(ctx context.Context, key store.Key) error {
	if err := key.Validate(); err != nil {
		return err
	}
	done := s.doneOf(key)
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// doneOf returns the channel closed when the record of key stops being
// IN_PROGRESS, or nil when it is not IN_PROGRESS now.
func (s *Store) doneOf(key store.Key) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.lookup(key, s.now())
	if r == nil || r.state != store.InProgress {
		return nil
	}
	return r.done
}

// Ping implements store.Store. An in-process store is always reachable,
// but a full one that may forget nothing (see Config.MaxRecords) refuses
// every new key: Ping then returns that refusal, an error wrapping
// store.ErrFull, so that a readiness probe can say so.
func (s *Store) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wouldRefuse(s.now())
}
