package memstore

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/store"
)

var _ store.Store = (*Store)(nil)

// Config holds the optional settings of a Store. The zero value means the
// defaults.
type Config struct {
	// MaxRecords bounds how many records the store holds, whatever their
	// state. A claim that needs a new record when the store is full
	// forgets (evicts) the finished record, COMPLETED or FAILED, that
	// finished first; never an IN_PROGRESS one. Only when none may be
	// forgotten (every record is IN_PROGRESS, or finished within MinAge)
	// does the claim fail with store.ErrFull. Size it as new keys per
	// second times the retry window (ttl): below that, records are
	// forgotten before their ttl, and a retry of a forgotten key runs
	// again. Default: 100000.
	MaxRecords int

	// MinAge protects a finished record from eviction until it finished
	// this long ago, by Now: a full store whose oldest finished record is
	// younger refuses new keys with store.ErrFull rather than shorten any
	// retry window below MinAge. Default: 0, no protection.
	MinAge time.Duration

	// MaxBytes bounds the stored responses' bodies and headers together.
	// A response that would pass it, once expired records are dropped, is
	// recorded completed but not replayable (retries get 409, never a second
	// run): memory stays bounded whatever the body sizes, and no record is
	// evicted for it. Default: 256 MiB.
	MaxBytes int64

	// Now is the clock leases, TTLs, versions, MinAge and the eviction
	// log's pace are measured against. Default: time.Now.
	Now func() time.Time

	// Registerer, when set, gets the store's metrics (see the package
	// doc). Two stores need two registerers (or prometheus.WrapRegistererWith
	// a label), since the names are the same. Default: none, no metrics.
	Registerer prometheus.Registerer

	// Logger gets a warning when records are evicted, at most once a
	// minute, saying how many since the last line. Default: none, no log.
	Logger *slog.Logger
}

// The defaults of Config.
const (
	DefaultMaxRecords = 100_000
	DefaultMaxBytes   = 256 << 20
)

// Store is an in-process store.Store. Its zero value is not usable; make one
// with New. It is safe for concurrent use.
type Store struct {
	now        func() time.Time
	maxRecords int
	maxBytes   int64
	minAge     time.Duration
	metrics    *metrics // nil without Config.Registerer
	evictLog   evictLog

	mu      sync.Mutex
	records map[store.Key]*record
	// byExpiry holds every record, soonest to expire first.
	byExpiry expiryHeap
	// finished lists the COMPLETED and FAILED records in the order they
	// finished: the first is the one to evict.
	finished finishedList
	// lastVersion is the last version issued, for any key.
	lastVersion int64
	// bytes is the size of the stored responses (record.size summed).
	bytes int64
}

// record is the state of one key. Its fields are guarded by Store.mu.
type record struct {
	key         store.Key
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

	// heapIndex is the record's place in Store.byExpiry, -1 when it is
	// not in it.
	heapIndex int
	// finishedAt is when Finish ran; prev and next link the record into
	// Store.finished while it is there.
	finishedAt time.Time
	prev, next *record
}

// New returns an empty Store. It fails on a negative setting, or when the
// metrics cannot be registered on cfg.Registerer.
func New(cfg Config) (*Store, error) {
	if cfg.MaxRecords < 0 || cfg.MaxBytes < 0 || cfg.MinAge < 0 {
		return nil, fmt.Errorf("memstore: MaxRecords, MaxBytes and MinAge must be >= 0, got %d, %d and %v", cfg.MaxRecords, cfg.MaxBytes, cfg.MinAge)
	}
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = DefaultMaxRecords
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		now:        cfg.Now,
		maxRecords: cfg.MaxRecords,
		maxBytes:   cfg.MaxBytes,
		minAge:     cfg.MinAge,
		evictLog:   evictLog{log: cfg.Logger},
		records:    make(map[store.Key]*record),
	}
	if cfg.Registerer != nil {
		m, err := newMetrics(cfg.Registerer, s)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	return s, nil
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
		s.remove(r)
		return nil
	}
	return r
}

// add puts the new record r, whose expiry is set, in the store. Called
// with s.mu held.
func (s *Store) add(r *record) {
	s.records[r.key] = r
	s.byExpiry.push(r)
}

// remove deletes r from the store and wakes its waiters. Called with s.mu
// held.
func (s *Store) remove(r *record) {
	delete(s.records, r.key)
	s.byExpiry.remove(r)
	s.finished.unlink(r)
	s.bytes -= r.size
	if r.state == store.InProgress {
		close(r.done)
	}
}

// expireAt sets when r expires. Called with s.mu held.
func (s *Store) expireAt(r *record, t time.Time) {
	r.expiresAt = t
	s.byExpiry.fix(r)
}

// dropExpired removes every expired record, soonest first: O(log n) for
// each record dropped, one comparison when there is none. Called with s.mu
// held.
func (s *Store) dropExpired(now time.Time) {
	for {
		r := s.byExpiry.first()
		if r == nil || now.Before(r.expiresAt) {
			return
		}
		s.remove(r)
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

// cloneResponse deep-copies r, so that the store and its callers never share
// a header map or a body.
func cloneResponse(r *store.Response) *store.Response {
	if r == nil {
		return nil
	}
	return &store.Response{Status: r.Status, Header: r.Header.Clone(), Body: bytes.Clone(r.Body)}
}
