package memstore

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// finishedList is the FIFO of finished (COMPLETED and FAILED) records, in
// the order they finished, linked through the records themselves: append,
// unlink and finding the oldest are O(1), with no allocation.
type finishedList struct {
	oldest, newest *record
}

// append adds r, which has just finished, as the newest.
func (l *finishedList) append(r *record) {
	r.prev, r.next = l.newest, nil
	if l.newest != nil {
		l.newest.next = r
	} else {
		l.oldest = r
	}
	l.newest = r
}

// unlink takes r out; nothing when r is not in the list.
func (l *finishedList) unlink(r *record) {
	if r.prev == nil && r.next == nil && l.oldest != r {
		return
	}
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.oldest = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.newest = r.prev
	}
	r.prev, r.next = nil, nil
}

// makeRoom ensures there is room for one more record: expired records go
// first, then, when the store is still full, the finished record that
// finished first is evicted. It fails with store.ErrFull when nothing may
// be forgotten. Called with s.mu held.
func (s *Store) makeRoom(now time.Time) error {
	s.dropExpired(now)
	for len(s.records) >= s.maxRecords {
		if err := s.nothingToForget(now); err != nil {
			s.metrics.refused()
			return err
		}
		s.remove(s.finished.oldest)
		s.metrics.evicted()
		s.evictLog.pending.Add(1)
	}
	return nil
}

// nothingToForget reports, with an error wrapping store.ErrFull, that the
// oldest finished record may not be evicted: there is none (every record
// is IN_PROGRESS), or it finished within MinAge. Nil when it may. Called
// with s.mu held.
func (s *Store) nothingToForget(now time.Time) error {
	r := s.finished.oldest
	switch {
	case r == nil:
		return fmt.Errorf("memstore: %w: all %d records are in progress", store.ErrFull, len(s.records))
	case s.minAge > 0 && now.Sub(r.finishedAt) < s.minAge:
		return fmt.Errorf("memstore: %w: %d records, the oldest finished %v ago, within MinAge %v",
			store.ErrFull, len(s.records), now.Sub(r.finishedAt), s.minAge)
	}
	return nil
}

// wouldRefuse returns the error a claim of a new key would get now (an
// error wrapping store.ErrFull), or nil, without evicting anything.
// Called with s.mu held.
func (s *Store) wouldRefuse(now time.Time) error {
	s.dropExpired(now)
	if len(s.records) < s.maxRecords {
		return nil
	}
	return s.nothingToForget(now)
}

// logEvery is the most often evictions are logged.
const logEvery = time.Minute

// evictLog writes the eviction warning at most once per logEvery, by the
// store's clock, outside the store's lock: the line reports the evictions
// since the previous line (so a count can wait for the next eviction a
// minute or more later; the metric is always exact).
type evictLog struct {
	log     *slog.Logger
	pending atomic.Int64 // evictions not reported yet

	mu   sync.Mutex
	last time.Time // when the last line was written
}

// report logs the pending evictions when a line is due. Cheap when there
// are none: one atomic load.
func (l *evictLog) report(s *Store) {
	if l.pending.Load() == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := s.now()
	if !l.last.IsZero() && now.Sub(l.last) < logEvery {
		return
	}
	n := l.pending.Swap(0)
	if n == 0 {
		return
	}
	l.last = now
	l.log.Warn("memstore: full, forgot the oldest finished records to make room: a retry of a forgotten key runs again; size max_records as new keys per second × ttl, or use Redis",
		"evicted", n, "max_records", s.maxRecords, "min_age", s.minAge.String())
}
