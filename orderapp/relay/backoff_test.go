package relay

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestBackoffDoublesUpToItsCap(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name     string
		min, max time.Duration
		want     []time.Duration
	}{
		{name: "doubles then caps", min: 10 * ms, max: 100 * ms, want: []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 100 * ms, 100 * ms}},
		{name: "min equals max", min: 5 * ms, max: 5 * ms, want: []time.Duration{5 * ms, 5 * ms, 5 * ms}},
		{name: "a huge cap never overflows", min: time.Hour, max: math.MaxInt64,
			want: []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := backoff{min: tc.min, max: tc.max}
			var got []time.Duration
			for range tc.want {
				got = append(got, b.next())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("waits = %v, want %v", got, tc.want)
			}
			b.reset()
			if w := b.next(); w != tc.min {
				t.Errorf("first wait after reset = %v, want %v", w, tc.min)
			}
		})
	}
	b := backoff{min: time.Second, max: math.MaxInt64}
	for range 100 {
		if w := b.next(); w <= 0 {
			t.Fatalf("wait = %v after doubling, want > 0", w)
		}
	}
}
