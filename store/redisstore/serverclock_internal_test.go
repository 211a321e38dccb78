package redisstore

import (
	"testing"
	"time"
)

// TestNotAfterErrsLate converts deadlines by a sample and wants each
// rounded up and widened by half the round trip and the 1 ms the server's
// truncated reading may hide, never early.
func TestNotAfterErrsLate(t *testing.T) {
	t.Parallel()
	mid := time.Now()
	s := clockSample{serverMs: 1_000_000, mid: mid, rtt: 10 * time.Millisecond}
	tests := []struct {
		name     string
		deadline time.Time
		want     int64
	}{
		{name: "200 ms after", deadline: mid.Add(200 * time.Millisecond), want: 1_000_206},
		{name: "a fraction rounds up", deadline: mid.Add(200*time.Millisecond + time.Microsecond), want: 1_000_207},
		{name: "at the sample", deadline: mid, want: 1_000_006},
		{name: "before the sample", deadline: mid.Add(-6500 * time.Microsecond), want: 1_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := s.notAfter(tc.deadline); got != tc.want {
				t.Errorf("notAfter = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestNewSampleIsTheMidpoint: a reply's reading is taken halfway through
// its round trip.
func TestNewSampleIsTheMidpoint(t *testing.T) {
	t.Parallel()
	sent := time.Now()
	s := newSample(sent, sent.Add(8*time.Millisecond), 42)
	if want := sent.Add(4 * time.Millisecond); !s.mid.Equal(want) || s.rtt != 8*time.Millisecond || s.serverMs != 42 {
		t.Errorf("newSample = %+v, want mid %v, rtt 8ms, serverMs 42", s, want)
	}
}
