package middleware

import (
	"crypto/rand"
	"strconv"
	"sync/atomic"
)

// owners makes claim owner tokens: a random 128-bit prefix per middleware
// and a counter. Tokens are unique across replicas and restarts (the
// prefix) and within one (the counter), which is all fencing needs, at a
// fraction of a UUID's cost: every covered request makes one, replays
// included.
type owners struct {
	prefix string
	seq    atomic.Uint64
}

func newOwners() *owners {
	return &owners{prefix: rand.Text()}
}

func (o *owners) next() string {
	var buf [64]byte
	b := append(buf[:0], o.prefix...)
	b = append(b, '-')
	b = strconv.AppendUint(b, o.seq.Add(1), 36)
	return string(b)
}
