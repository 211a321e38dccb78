package relay

import "time"

// backoff is the wait before each retry: min after the first failure,
// doubling with each failure in a row, never more than max.
type backoff struct {
	min, max time.Duration
	cur      time.Duration // the last wait; 0 after a success
}

// next returns the wait after one more failure.
func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur > b.max/2:
		b.cur = b.max
	default:
		b.cur *= 2
	}
	return b.cur
}

// reset starts over after a success.
func (b *backoff) reset() { b.cur = 0 }
