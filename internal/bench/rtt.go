package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// RTT is the latency of one Redis operation, sequential, on a client made
// by redisstore.NewClient (idemproxy's own client and options).
type RTT struct {
	P50, P99 time.Duration
	N        int
}

// RTTs are the Redis round trips the report states the unloaded bound in.
// Hot: back to back, as a busy proxy sees them. Cold: each after a 1 ms
// pause, as a request on an otherwise idle machine sees them — on a VM an
// idle vCPU halts, and waking it is part of every hop of an unloaded
// request.
type RTTs struct {
	PingHot, ClaimHot, PingCold, ClaimCold RTT
}

// coldGap is the pause before each cold round trip.
const coldGap = time.Millisecond

// MeasureRTT measures n PINGs (the bare round trip the "≤ 2 round trips +
// 50 µs" bound is stated in) and n claims of fresh keys through
// redisstore.Store (the round trip the middleware actually pays, script
// included), hot and cold.
func MeasureRTT(ctx context.Context, redisURL string, n int) (RTTs, error) {
	var r RTTs
	var err error
	if r.PingHot, r.ClaimHot, err = measureRTT(ctx, redisURL, n, 0); err != nil {
		return r, err
	}
	r.PingCold, r.ClaimCold, err = measureRTT(ctx, redisURL, n/2, coldGap)
	return r, err
}

func measureRTT(ctx context.Context, redisURL string, n int, gap time.Duration) (ping, claim RTT, err error) {
	opts, err := redisstore.ParseURL(redisURL)
	if err != nil {
		return RTT{}, RTT{}, err
	}
	client := redisstore.NewClient(opts)
	defer client.Close()
	st, err := redisstore.New(client, redisstore.Config{KeyPrefix: "idembench-rtt:"})
	if err != nil {
		return RTT{}, RTT{}, err
	}
	defer st.Close()

	ping, err = timeN(n, gap, func(int) error { return st.Ping(ctx) })
	if err != nil {
		return RTT{}, RTT{}, err
	}
	scope := rand.Text()
	claim, err = timeN(n, gap, func(i int) error {
		res, err := st.Claim(ctx, store.ClaimRequest{
			Key: store.Key{Scope: scope, ID: strconv.Itoa(i)}, Owner: "rtt", Lease: time.Second, TTL: time.Minute,
		})
		if err == nil && res.Outcome != store.Claimed {
			err = fmt.Errorf("claim of a fresh key: %v", res.Outcome)
		}
		return err
	})
	return ping, claim, err
}

// timeN times n sequential calls of f after n/10 untimed ones, each
// after a pause of gap.
func timeN(n int, gap time.Duration, f func(i int) error) (RTT, error) {
	for i := range n / 10 {
		if err := f(-1 - i); err != nil {
			return RTT{}, err
		}
	}
	d := make([]time.Duration, n)
	for i := range d {
		if gap > 0 {
			time.Sleep(gap)
		}
		t := time.Now()
		if err := f(i); err != nil {
			return RTT{}, err
		}
		d[i] = time.Since(t)
	}
	slices.Sort(d)
	return RTT{P50: d[n/2], P99: d[n*99/100], N: n}, nil
}
