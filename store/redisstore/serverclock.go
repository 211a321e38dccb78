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
type serverClock struct {
	mu     sync.Mutex
	ok     bool
	offset time.Duration // server minus local
	rtt    time.Duration // of the sample offset came from
	at     time.Time     // when that sample was taken
}

const maxSampleAge = time.Minute

// observe takes a sample: a reply received at recv to a script sent at
// sent, whose server clock read serverMillis.
func (c *serverClock) observe(sent, recv time.Time, serverMillis int64) {
	rtt := recv.Sub(sent)
	offset := time.UnixMilli(serverMillis).Sub(sent.Add(rtt / 2))
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok || rtt <= c.rtt || recv.Sub(c.at) > maxSampleAge {
		c.ok, c.offset, c.rtt, c.at = true, offset, rtt, recv
	}
}

// serverMillis converts a local time to the server's clock, in ms; ok is
// false before the first sample.
func (c *serverClock) serverMillis(local time.Time) (ms int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		return 0, false
	}
	// Rounded up, and widened by the sample's uncertainty, so that a claim
	// run in time is never taken for a late one: a late claim the deadline
	// misses is still released by its owner (middleware), while a claim
	// wrongly refused would answer 503 to a healthy store.
	return local.Add(c.offset + c.rtt/2 + time.Millisecond).UnixMilli(), true
}
