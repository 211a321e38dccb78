package redisstore

import (
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// AdvanceClock moves the clock every script of s reads forward by d, so
// that tests cross leases and TTLs without sleeping.
func (s *Store) AdvanceClock(d time.Duration) { s.clockOffset.Add(d.Milliseconds()) }

// WaitBlocked returns a channel that receives a value each time a Wait on
// key blocks: it is subscribed, found the record IN_PROGRESS, and only the
// notification (or a replaced subscription, or its context) wakes it. Call
// it before starting the Wait calls to watch; it serves
// storetest.Harness.WaitBlocked.
func (s *Store) WaitBlocked(key store.Key) <-chan struct{} {
	ch := make(chan struct{}, 1024)
	channel := s.redisKey(key)
	for {
		prev := s.waitBlocked.Load()
		next := func(c string) {
			if prev != nil {
				(*prev)(c)
			}
			if c == channel {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
		if s.waitBlocked.CompareAndSwap(prev, &next) {
			return ch
		}
	}
}

// Codec, for the codec's tests.
var DecodeResponse = decodeResponse

// EncodeResponse encodes into a new buffer.
func EncodeResponse(r *store.Response, compressMin int) []byte {
	return encodeResponse(nil, r, compressMin)
}

// EncodeResponseInto encodes into dst's memory, as Finish does with its
// pooled buffers.
var EncodeResponseInto = encodeResponse

// SkewClockEstimate puts s's estimate of the server's clock d behind the
// server, as if the server's clock had jumped forward by d since it was
// sampled, so that every deadline s converts comes out d early.
func (s *Store) SkewClockEstimate(d time.Duration) {
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	s.server.s.serverMs -= d.Milliseconds()
}
