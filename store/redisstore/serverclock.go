package redisstore

import (
	"sync"
	"time"
)

// serverClock estimates the Redis server's clock from the claims' replies,
// which carry the server's TIME, so that a claim can say, in server time,
// when its caller stops waiting for it (claim.lua's not-after deadline).
//
// Each reply gives a sample: the server read its clock somewhere between
// the send and the receipt, so it is taken at the midpoint, off by at most
// half the round trip. The estimate keeps the sample with the shortest
// round trip, so a stall (a long round trip) never skews it, and takes any
// new sample once it is older than maxSampleAge, so that drift between the
// clocks is followed. On a Cluster the nodes' clocks are taken as one (they
// are NTP-synchronised like any servers); the error is bounded by how far
// they disagree.
//
// A sample is kept as the server's reading and the local instant it was
// taken at, and a deadline is converted by the time elapsed between that
// instant and it, on Go's monotonic clock: a step of the local wall clock
// (NTP, an operator) between the sample and the claim then moves neither.
// Only the server's clock stepping can make the estimate wrong; Claim
// notices that (a claim refused as late while its caller still waits) and
// starts over with a fresh sample.
type serverClock struct {
	mu sync.Mutex
	ok bool
	s  clockSample
}

// clockSample is one reading of the server's clock.
type clockSample struct {
	serverMs int64         // the server's TIME, in ms, truncated
	mid      time.Time     // local instant it is taken at, with its monotonic reading
	rtt      time.Duration // of the script that read it
}

const maxSampleAge = time.Minute

// newSample is the sample of a reply received at recv to a script sent at
// sent, whose server clock read serverMs; sent and recv come from
// time.Now, so their difference and mid are monotonic.
func newSample(sent, recv time.Time, serverMs int64) clockSample {
	rtt := recv.Sub(sent)
	return clockSample{serverMs: serverMs, mid: sent.Add(rtt / 2), rtt: rtt}
}

// observe takes a sample.
func (c *serverClock) observe(s clockSample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok || s.rtt <= c.s.rtt || s.mid.Sub(c.s.mid) > maxSampleAge {
		c.ok, c.s = true, s
	}
}

// reset forgets the estimate: the next sample is taken, whatever its round
// trip.
func (c *serverClock) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok = false
}

// serverMillis converts a local deadline to the server's clock, in ms; ok
// is false before the first sample.
func (c *serverClock) serverMillis(deadline time.Time) (ms int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		return 0, false
	}
	return c.s.notAfter(deadline), true
}

// notAfter is deadline on the server's clock, by this sample, erring late.
// An error either way has a cost, and they are not alike: a deadline too
// early refuses a claim that ran in time, a 503 from a healthy store and a
// client told to retry; one too late lets a claim that ran after its caller
// gave up take the key, which the caller's release (middleware) still
// frees. So the elapsed time is widened by everything the sample does not
// know: the server may have read its clock as early as rtt/2 before mid,
// and up to 1 ms after the truncated serverMs, so its clock at mid may be
// that much ahead; and the result is rounded up.
func (s clockSample) notAfter(deadline time.Time) int64 {
	return s.serverMs + ceilMillis(deadline.Sub(s.mid)+s.rtt/2+time.Millisecond)
}

// ceilMillis is d in whole milliseconds, rounded toward +∞ (Milliseconds
// rounds toward zero, which is down for a negative d).
func ceilMillis(d time.Duration) int64 {
	ms := d.Milliseconds()
	if time.Duration(ms)*time.Millisecond < d {
		ms++
	}
	return ms
}
