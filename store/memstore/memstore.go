package memstore

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

var _ store.Store = (*Store)(nil)

// Config holds the optional settings of a Store. The zero value means the
// defaults.
type Config struct {
	// MaxRecords bounds how many records the store holds, whatever their
	// state. A claim that needs a new record when the store is full and has
	// no expired record to drop fails with store.ErrFull.
	// Default: 100000.
	MaxRecords int

	// MaxBytes bounds the stored responses' bodies and headers together.
	// A response that would pass it, once expired records are dropped, is
	// recorded completed but not replayable (retries get 409, never a second
	// run): memory stays bounded whatever the body sizes, and no record is
	// evicted. Default: 256 MiB.
	MaxBytes int64

	// Now is the clock leases, TTLs and versions are measured against.
	// Default: time.Now.
	Now func() time.Time
}

// The defaults of Config.
const (
	DefaultMaxRecords = 100_000
	DefaultMaxBytes   = 256 << 20
)

// sampleSize is how many records a new claim checks for expiry, so that
// memory held by expired records is reclaimed even when their keys are never
// touched again and the store is not full. Go randomises where a map
// iteration starts, which makes the first few entries a cheap sample.
const sampleSize = 8

// Store is an in-process store.Store. Its zero value is not usable; make one
// with New. It is safe for concurrent use.
type Store struct {
	now        func() time.Time
	maxRecords int
	maxBytes   int64

	mu      sync.Mutex
	records map[store.Key]*record
	// lastVersion is the last version issued, for any key.
	lastVersion int64
	// bytes is the size of the stored responses (record.size summed).
	bytes int64
	// minExpiry is at or before the expiry of every record held: before it,
	// a full sweep would find nothing to drop, so a full store skips it.
	minExpiry time.Time
}

// record is the state of one key. Its fields are guarded by Store.mu.
type record struct {
	state       store.State
	fingerprint store.Fingerprint
	owner       string
	version     int64
	leaseUntil  time.Time
	expiresAt   time.Time
	status      int
	// response is the store's own copy, set once by Finish and never
	// changed after, so it may be copied out without holding Store.mu.
	response *store.Response
	// size is response's size as Store.bytes counts it.
	size int64
	// done is closed when the record stops being IN_PROGRESS (finished,
	// released, deleted or expired), which wakes every Wait on it.
	done chan struct{}
}

// New returns an empty Store.
func New(cfg Config) (*Store, error) {
	if cfg.MaxRecords < 0 {
		return nil, fmt.Errorf("memstore: MaxRecords must be >= 0, got %d", cfg.MaxRecords)
	}
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = DefaultMaxRecords
	}
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("memstore: MaxBytes must be >= 0, got %d", cfg.MaxBytes)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{
		now:        cfg.Now,
		maxRecords: cfg.MaxRecords,
		maxBytes:   cfg.MaxBytes,
		records:    make(map[store.Key]*record),
	}, nil
}

// Len returns how many records the store holds, counting expired ones that
// have not been dropped yet.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// lookup returns the live record of key, or nil. An expired record is
// dropped on the way: it is absent. Called with s.mu held.
func (s *Store) lookup(key store.Key, now time.Time) *record {
	r := s.records[key]
	if r != nil && !now.Before(r.expiresAt) {
		s.remove(key, r)
		return nil
	}
	return r
}

// remove deletes the record of key and wakes its waiters. Called with s.mu
// held.
func (s *Store) remove(key store.Key, r *record) {
	delete(s.records, key)
	s.bytes -= r.size
	if r.state == store.InProgress {
		close(r.done)
	}
}

// expireAt sets when r expires, keeping s.minExpiry a lower bound. Called
// with s.mu held.
func (s *Store) expireAt(r *record, t time.Time) {
	r.expiresAt = t
	if s.minExpiry.IsZero() || t.Before(s.minExpiry) {
		s.minExpiry = t
	}
}

// nextVersion returns a version greater than every version issued before.
// Called with s.mu held.
func (s *Store) nextVersion(now time.Time) int64 {
	v := now.UnixMicro()
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v
	return v
}

// makeRoom ensures there is room for one more record, dropping expired ones
// when the store is full. Called with s.mu held.
func (s *Store) makeRoom(now time.Time) error {
	if len(s.records) < s.maxRecords {
		return nil
	}
	s.dropExpired(now)
	if len(s.records) >= s.maxRecords {
		return store.ErrFull
	}
	return nil
}

// dropExpired removes every expired record. A full sweep is O(records),
// but it runs at most once per expiry deadline while the store is full
// (of records or bytes), thanks to minExpiry. Called with s.mu held.
func (s *Store) dropExpired(now time.Time) {
	if now.Before(s.minExpiry) {
		return
	}
	var earliest time.Time
	for key, r := range s.records {
		if !now.Before(r.expiresAt) {
			s.remove(key, r)
			continue
		}
		if earliest.IsZero() || r.expiresAt.Before(earliest) {
			earliest = r.expiresAt
		}
	}
	s.minExpiry = earliest
}

// sweepSample drops the expired records among a few. Called with s.mu held.
func (s *Store) sweepSample(now time.Time) {
	n := 0
	for key, r := range s.records {
		if !now.Before(r.expiresAt) {
			s.remove(key, r)
		}
		if n++; n == sampleSize {
			return
		}
	}
}

// cloneResponse deep-copies r, so that the store and its callers never share
// a header map or a body.
func cloneResponse(r *store.Response) *store.Response {
	if r == nil {
		return nil
	}
	return &store.Response{Status: r.Status, Header: r.Header.Clone(), Body: bytes.Clone(r.Body)}
}
