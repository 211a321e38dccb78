package memstore_test

import (
	"sync/atomic"
	"time"
)

// fakeClock is a clock the tests move by hand, so leases and TTLs pass
// without sleeping. It is safe for concurrent use (the store reads it while
// a test advances it) and cheap enough for benchmarks.
type fakeClock struct {
	offset atomic.Int64 // nanoseconds since epoch
}

// epoch is where every fake clock starts.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *fakeClock) Now() time.Time { return epoch.Add(time.Duration(c.offset.Load())) }

func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
