package client

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{name: "absent"},
		{name: "seconds", header: "3", want: 3 * time.Second, wantOK: true},
		{name: "zero", header: "0", want: 0, wantOK: true},
		{name: "spaces", header: " 7 ", want: 7 * time.Second, wantOK: true},
		{name: "HTTP date ahead", header: "Sun, 01 Mar 2026 12:00:05 GMT", want: 5 * time.Second, wantOK: true},
		{name: "RFC 850 date ahead", header: "Sunday, 01-Mar-26 12:01:00 GMT", want: time.Minute, wantOK: true},
		{name: "asctime date ahead", header: "Sun Mar  1 12:00:02 2026", want: 2 * time.Second, wantOK: true},
		{name: "HTTP date passed", header: "Sun, 01 Mar 2026 11:59:00 GMT", want: 0, wantOK: true},
		{name: "negative", header: "-1"},
		{name: "fraction", header: "1.5"},
		{name: "garbage", header: "soon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tc.header != "" {
				h.Set("Retry-After", tc.header)
			}
			got, ok := retryAfter(h, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestFullJitterBounds checks the backoff's range after each attempt: from
// zero up to (never reaching) min(max, initial·2ⁿ⁻¹).
func TestFullJitterBounds(t *testing.T) {
	t.Parallel()
	const initial, ceiling = 100 * time.Millisecond, 5 * time.Second
	tests := []struct {
		n    int
		span time.Duration
	}{
		{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{6, 3200 * time.Millisecond}, {7, ceiling}, {40, ceiling}, {70, ceiling}, {1000, ceiling},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("attempt %d", tc.n), func(t *testing.T) {
			t.Parallel()
			if got := fullJitter(tc.n, initial, ceiling, 0); got != 0 {
				t.Errorf("fullJitter(%d, u=0) = %v, want 0", tc.n, got)
			}
			if got := fullJitter(tc.n, initial, ceiling, 0.5); got != tc.span/2 {
				t.Errorf("fullJitter(%d, u=0.5) = %v, want %v", tc.n, got, tc.span/2)
			}
			top := fullJitter(tc.n, initial, ceiling, 1-1e-12)
			if top >= tc.span || top < tc.span-time.Millisecond {
				t.Errorf("fullJitter(%d, u→1) = %v, want just under %v", tc.n, top, tc.span)
			}
			for range 1000 {
				if got := fullJitter(tc.n, initial, ceiling, rand.Float64()); got < 0 || got >= tc.span {
					t.Fatalf("fullJitter(%d) = %v, want in [0, %v)", tc.n, got, tc.span)
				}
			}
		})
	}
}

// TestWaitFor checks which wait wins: the policy's, Retry-After (capped),
// then backoff.
func TestWaitFor(t *testing.T) {
	t.Parallel()
	tr, err := New(Config{MaxRetryAfter: 10 * time.Second, InitialBackoff: time.Second, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	withRA := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	tests := []struct {
		name     string
		d        Decision
		resp     *http.Response
		min, max time.Duration
	}{
		{name: "policy's wait", d: Decision{Wait: 3 * time.Second}, resp: withRA("1"), min: 3 * time.Second, max: 3 * time.Second},
		{name: "Retry-After", resp: withRA("2"), min: 2 * time.Second, max: 2 * time.Second},
		{name: "Retry-After capped", resp: withRA("3600"), min: 10 * time.Second, max: 10 * time.Second},
		{name: "Retry-After date capped", resp: withRA(now.Add(time.Hour).UTC().Format(http.TimeFormat)), min: 10 * time.Second, max: 10 * time.Second},
		{name: "unreadable Retry-After: backoff", resp: withRA("later"), min: 0, max: time.Second},
		{name: "transport error: backoff", min: 0, max: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tr.waitFor(tc.d, tc.resp, 1, now)
			if got < tc.min || got > tc.max {
				t.Errorf("waitFor = %v, want in [%v, %v]", got, tc.min, tc.max)
			}
		})
	}
}
