//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// fillUntilOOM puts Redis out of memory, as a full Redis is: it writes
// filler keys, then lowers maxmemory under what is used, so that with
// noeviction every denied-on-OOM command is refused. It returns the filler
// keys and checks that a plain SET is refused.
func fillUntilOOM(t *testing.T, rc *redis.Client) []string {
	t.Helper()
	ctx := context.Background()
	value := strings.Repeat("x", 64<<10)
	var keys []string
	for i := range 64 {
		k := fmt.Sprintf("filler:%d", i)
		if err := rc.Set(ctx, k, value, 0).Err(); err != nil {
			t.Fatalf("filling Redis: %v", err)
		}
		keys = append(keys, k)
	}
	used := usedMemory(t, rc)
	if err := rc.ConfigSet(ctx, "maxmemory", fmt.Sprint(used-(1<<20))).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Set(ctx, "probe", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "OOM") {
		t.Fatalf("SET on a full Redis: %v, want an OOM error", err)
	}
	return keys
}

// usedMemory reads INFO memory's used_memory.
func usedMemory(t *testing.T, rc *redis.Client) int64 {
	t.Helper()
	info, err := rc.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

// TestNoevictionOutOfMemory is matrix row 5b: Redis with maxmemory and
// noeviction refuses writes once full. A new request is refused (503, the
// upstream not called); a request whose claim went in before the memory ran
// out still gets its response, its finish is refused, and its key ends as
// any failed finish does: 409 until the lease ends, then abandoned — never a
// second run. Once memory is freed, new keys work again.
func TestNoevictionOutOfMemory(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t, redistest.WithMaxmemory("64mb", "noeviction"))
	rc := rs.Client(t)
	oa := startOrderapp(t, "-latency", "1s")
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr()), Lease: time.Second})

	// A request claimed before the memory runs out.
	inKey, inBody := unique("oom-inflight"), order(unique("cust"), "tok_visa", 1)
	done := make(chan response, 1)
	errs := make(chan error, 1)
	go func() {
		r, err := post(context.Background(), p.url+"/orders", inKey, inBody)
		if err != nil {
			errs <- err
			return
		}
		done <- r
	}()
	p.waitInFlight(t, "orders", 1, 10*time.Second)
	filler := fillUntilOOM(t, rc)

	usedFull := usedMemory(t, rc)
	key, body := unique("oom"), order(unique("cust"), "tok_visa", 1)
	refused := postOrder(t, p, key, body)
	check503(t, refused)

	var first response
	select {
	case first = <-done:
	case err := <-errs:
		t.Fatalf("the in-flight order: %v", err)
	}
	if first.status != http.StatusCreated {
		t.Errorf("the order claimed before OOM: %v, want 201 (the client gets its response)", first)
	}
	seen, last := answers(t, p, inKey, inBody, 10*time.Second)
	if last.problem != problemAbandoned {
		t.Errorf("retries of the order whose finish hit OOM: %v, want 409 in progress then 409 abandoned", seen)
	}
	chargesFull := oa.charges(t)
	grown := usedMemory(t, rc) - usedFull

	if err := rc.Del(context.Background(), filler...).Err(); err != nil {
		t.Fatal(err)
	}
	again, tries := retryUntilDone(t, p, key, body, 10*time.Second)
	if again.status != http.StatusCreated {
		t.Errorf("the refused key once memory is free: %v, want 201", again)
	}
	charges := oa.charges(t)
	if chargesFull != 1 || charges != 2 {
		t.Errorf("orderapp charges = %v while full, %v after; want 1 (the in-flight order), then 2", chargesFull, charges)
	}
	observed(t, "Redis full (noeviction, maxmemory under used): new key %v (Retry-After %q); in-flight order %v, its retries %v; charges %v; used_memory grew %d bytes while full; after freeing memory the refused key: %v in %d tries; charges %v",
		refused, refused.header.Get("Retry-After"), first, seen, chargesFull, grown, again, tries, charges)
}
