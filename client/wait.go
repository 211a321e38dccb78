package client

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), relative to now. A date in the past is zero. ok is
// false when the header is absent or unreadable.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// fullJitter is the wait after attempt n (from 1) without Retry-After: u
// (uniform in [0, 1)) times min(ceiling, initial·2ⁿ⁻¹) — "full jitter", so
// clients that failed together do not retry together.
func fullJitter(n int, initial, ceiling time.Duration, u float64) time.Duration {
	span := ceiling
	if n-1 < 62 && initial <= ceiling>>(n-1) {
		span = initial << (n - 1)
	}
	return time.Duration(u * float64(span))
}

// waitFor is the wait before the retry of attempt n: the policy's own, else
// the response's Retry-After (capped), else full jitter.
func (t *Transport) waitFor(d Decision, resp *http.Response, n int, now time.Time) time.Duration {
	if d.Wait > 0 {
		return d.Wait
	}
	if resp != nil {
		if ra, ok := retryAfter(resp.Header, now); ok {
			return min(ra, t.cfg.MaxRetryAfter)
		}
	}
	return fullJitter(n, t.cfg.InitialBackoff, t.cfg.MaxBackoff, rand.Float64())
}

// sleep waits d or until ctx is done, and says whether it waited it all.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
