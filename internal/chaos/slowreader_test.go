package chaos

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowReaderIsNotRunTwice: a client that sends a request and never
// reads its large response keeps the proxy's handler blocked writing to
// it. The owner is alive, so its key must never look abandoned: with
// on_abandoned: retry, that would run the request a second time. The
// proxy cuts the write handler_grace after handler_timeout, keeps renewing
// until the handler returns, and records the cut response as failed.
func TestSlowReaderIsNotRunTwice(t *testing.T) {
	t.Parallel()
	const size = 64 << 20
	chunk := strings.Repeat("x", 1<<20)
	up := startCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusCreated)
		for range size / len(chunk) {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	})
	p := startProxy(t, proxyConfig{
		Upstream: up.url, Routes: anyRoute, OnAbandoned: "retry",
		Lease: time.Second, HandlerTimeout: time.Second, HandlerGrace: time.Second,
	})
	key := unique("slow")

	// The slow reader: a small receive buffer, and it never reads.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "POST /orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: %s\r\nContent-Length: 5\r\n\r\norder", key)
	within(t, 10*time.Second, "the upstream to get the request", func() bool { return up.ran(key) == 1 })

	// Retries from a client that reads, until the key has an outcome.
	// A retrying client's cadence: one every 100 ms, for at most 15 s.
	var seen []string
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); <-tick.C {
		r := send(t, http.MethodPost, p.url+"/orders", key, "order")
		seen = append(seen, r.String())
		if r.problem != problemInProgress {
			break
		}
	}
	last := seen[len(seen)-1]
	if n := up.ran(key); n != 1 {
		t.Errorf("the upstream ran %d times, want 1; retries saw %v", n, compact(seen))
	}
	if last != "409 previously-failed" && last != "409 not-replayable" {
		t.Errorf("final answer %q, want 409 previously-failed or not-replayable (the response was cut); retries saw %v", last, compact(seen))
	}
	for _, s := range seen[:len(seen)-1] {
		if s != "409 in-progress" {
			t.Errorf("retries saw %v, want in-progress until the owner returned", compact(seen))
			break
		}
	}
	observed(t, "64 MiB response, client never reads, handler_timeout 1s, handler_grace 1s, lease 1s, on_abandoned retry: retries %v; upstream runs %d",
		compact(seen), up.ran(key))
}

// compact writes runs of one answer once, with their count.
func compact(seen []string) string {
	var b strings.Builder
	for i := 0; i < len(seen); {
		j := i
		for j < len(seen) && seen[j] == seen[i] {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(" → ")
		}
		fmt.Fprintf(&b, "%s ×%d", seen[i], j-i)
		i = j
	}
	return b.String()
}
