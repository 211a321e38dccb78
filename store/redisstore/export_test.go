package redisstore

import "time"

// AdvanceClock moves the clock every script of s reads forward by d, so
// that tests cross leases and TTLs without sleeping.
func (s *Store) AdvanceClock(d time.Duration) { s.clockOffset.Add(d.Milliseconds()) }

// Codec, for the codec's tests.
var (
	EncodeResponse = encodeResponse
	DecodeResponse = decodeResponse
)
