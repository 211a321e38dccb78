//go:build chaos

package chaos

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

const hugeBody = 100 << 20 // 100 MiB

// noRaceMemory skips a memory bound under -race, whose shadow memory
// multiplies every figure.
func noRaceMemory(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("memory bounds are measured on binaries built without -race")
	}
}

// pattern is a deterministic, incompressible-enough body stream.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(b)), p.n-p.off))
	for i := range k {
		x := uint64(p.off + int64(i))
		b[i] = byte(x ^ x>>8 ^ x>>17)
	}
	p.off += int64(k)
	return k, nil
}

func patternSum(n int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, &pattern{n: n})
	return hex.EncodeToString(h.Sum(nil))
}

// TestHugeRequestIs413 is matrix row 9a: a 100 MiB request body, declared
// or chunked, gets 413 after at most max_request_body (1 MiB) is read, and
// the proxy's memory does not grow with the body.
func TestHugeRequestIs413(t *testing.T) {
	t.Parallel()
	noRaceMemory(t)
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(redistest.Shared(t).Addr())})
	if r := postOrder(t, p, unique("warm"), order(unique("cust"), "tok_visa", 1)); r.status != http.StatusCreated {
		t.Fatalf("warm-up: %v", r)
	}
	_, base := p.memory()
	var report []string
	for _, chunked := range []bool{false, true} {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		framing := "Content-Length: " + strconv.Itoa(hugeBody)
		if chunked {
			framing = "Transfer-Encoding: chunked"
		}
		fmt.Fprintf(c, "POST /orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n", unique("huge"), framing)
		sent := make(chan int64, 1)
		go func() {
			// Writes fail once the proxy has answered and closed.
			w := bufio.NewWriterSize(c, 64<<10)
			buf := make([]byte, 64<<10)
			var n int64
			for n < hugeBody {
				if chunked {
					fmt.Fprintf(w, "%x\r\n", len(buf))
				}
				if _, err := w.Write(buf); err != nil {
					break
				}
				if chunked {
					_, _ = w.WriteString("\r\n")
				}
				n += int64(len(buf))
			}
			if chunked {
				_, _ = w.WriteString("0\r\n\r\n")
			}
			_ = w.Flush()
			sent <- n
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("chunked %v: reading the response: %v", chunked, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Close()
		n := <-sent
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "request-too-large") {
			t.Errorf("100 MiB body (chunked %v): %d %s, want 413 request-too-large", chunked, resp.StatusCode, b)
		}
		report = append(report, fmt.Sprintf("chunked=%v: %d after %s sent", chunked, resp.StatusCode, mib(n)))
	}
	_, peak := p.memory()
	if grown := peak - base; grown > 16<<20 {
		t.Errorf("proxy peak RSS grew %s on 100 MiB bodies (%s → %s), want under 16 MiB", mib(grown), mib(base), mib(peak))
	}
	if c := oa.charges(t); c != 1 {
		t.Errorf("orderapp charges = %v, want 1 (the warm-up only)", c)
	}
	observed(t, "100 MiB request bodies: %v; proxy peak RSS %s → %s; charges unchanged", report, mib(base), mib(peak))
}

// TestHugeResponseIsStreamedNotReplayed is matrix row 9b: a 100 MiB
// response (past max_response_body) reaches the client whole, streamed —
// the proxy's memory does not grow with it — and is recorded completed but
// not replayable: a retry is 409, never a second execution.
func TestHugeResponseIsStreamedNotReplayed(t *testing.T) {
	t.Parallel()
	noRaceMemory(t)
	up := startCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if r.URL.Path == "/export/sized" {
			w.Header().Set("Content-Length", strconv.Itoa(hugeBody))
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.Copy(w, &pattern{n: hugeBody})
	})
	rs := redistest.Shared(t)
	p := startProxy(t, proxyConfig{Upstream: up.url, Redis: redisURL(rs.Addr()), Routes: anyRoute})
	want := patternSum(hugeBody)
	if r := send(t, http.MethodPost, p.url+"/small", unique("warm"), "x"); r.status != http.StatusCreated {
		t.Fatalf("warm-up: %v", r)
	}
	_, base := p.memory()
	var report []string
	for _, path := range []string{"/export/sized", "/export/chunked"} {
		key := unique("bigresp")
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader("x"))
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated || n != hugeBody || hex.EncodeToString(h.Sum(nil)) != want {
			t.Errorf("%s: %d, %s read (%v), sum match %v; want 201 and the 100 MiB body intact", path, resp.StatusCode, mib(n), err, hex.EncodeToString(h.Sum(nil)) == want)
		}
		retry := send(t, http.MethodPost, p.url+path, key, "x")
		if retry.status != http.StatusConflict || retry.problem != problemNotReplayable {
			t.Errorf("%s retry: %v, want 409 %s", path, retry, problemNotReplayable)
		}
		rec := record(t, rs.Client(t), newKeyer(t).redisKey(t, "any", "", key))
		if _, stored := rec["r"]; rec["s"] != stateCompleted || stored {
			t.Errorf("%s record: state %q, body stored %v; want COMPLETED without a body", path, rec["s"], stored)
		}
		if runs := up.ran(key); runs != 1 {
			t.Errorf("%s: upstream ran %d times, want 1", path, runs)
		}
		report = append(report, fmt.Sprintf("%s: 201 %s intact, retry %v, runs %d", path, mib(n), retry, up.ran(key)))
	}
	_, peak := p.memory()
	if grown := peak - base; grown > 16<<20 {
		t.Errorf("proxy peak RSS grew %s streaming 100 MiB responses (%s → %s), want under 16 MiB", mib(grown), mib(base), mib(peak))
	}
	observed(t, "100 MiB responses: %v; proxy peak RSS %s → %s", report, mib(base), mib(peak))
}

// TestTenThousandKeysInFlight is matrix row 9c: 10,000 requests with
// distinct keys are claimed and held at the upstream at once; the proxy's
// memory stays bounded (reported per request), and when the upstream lets
// them go every one completes exactly once.
func TestTenThousandKeysInFlight(t *testing.T) {
	// Not parallel: 10,000 connections at once would starve the other
	// tests' dials and timings.
	noRaceMemory(t)
	// The test process and the proxy each hold a connection per request,
	// plus up to 1,000 to the upstream: a machine whose file limit is
	// lower runs fewer, and says so.
	n := 10_000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Max < uint64(n+1100) {
		n = max(int(lim.Max)-1100, 1000) / 1000 * 1000
		t.Logf("open-file limit %d: %d requests in flight instead of 10,000", lim.Max, n)
	}
	gate := make(chan struct{})
	var openGate sync.Once
	release := func() { openGate.Do(func() { close(gate) }) }
	t.Cleanup(release)
	up := startCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		<-gate
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, r.Header.Get("Idempotency-Key"))
	})
	// The upstream holds at most 1,000 connections; the other requests
	// wait, claimed, for one — as they would in front of a saturated API.
	p := startProxy(t, proxyConfig{Upstream: up.url, Redis: redisURL(redistest.Shared(t).Addr()), Routes: anyRoute,
		MaxConnsPerHost: 1000, Lease: 30 * time.Second, HandlerTimeout: 2 * time.Minute})
	_, base := p.memory()

	burst := &http.Client{Timeout: 3 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}}
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, n)
	var refusedMu sync.Mutex
	refused := 0 // 503s: a claim that waited past store_timeout; the client retries
	prefix := unique("inflight")
	send := func(i int) {
		key := fmt.Sprintf("%s-%d", prefix, i)
		for range 20 {
			req, _ := http.NewRequest(http.MethodPost, p.url+"/jobs", strings.NewReader("x"))
			req.Header.Set("Idempotency-Key", key)
			resp, err := burst.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				refusedMu.Lock()
				refused++
				refusedMu.Unlock()
				continue
			}
			results <- result{status: resp.StatusCode, body: string(b), err: err}
			return
		}
		results <- result{err: fmt.Errorf("key %d: 503 twenty times", i)}
	}
	// In waves of 1,000, each claimed before the next starts: a burst of
	// 10,000 first requests at once on two cores makes claims wait past
	// store_timeout for one of the pool's connections (503, counted).
	const wave = 1000
	began := time.Now()
	for launched := wave; launched <= n; launched += wave {
		for i := launched - wave; i < launched; i++ {
			go send(i)
		}
		deadline := time.Now().Add(time.Minute)
		for p.inFlight(t, "any") < float64(launched) {
			if time.Now().After(deadline) {
				t.Fatalf("in flight %v of %d after a minute; outcomes %v", p.inFlight(t, "any"), launched, p.outcomes(t, "any"))
			}
			select {
			case r := <-results:
				t.Fatalf("a request ended while the upstream held every one: %d %q %v", r.status, r.body, r.err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	claimedIn := time.Since(began)
	rss, _ := p.memory()
	release()
	statuses := map[int]int{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Errorf("request: %v", r.err)
			continue
		}
		statuses[r.status]++
	}
	_, peak := p.memory()
	if statuses[http.StatusCreated] != n || up.total() != n {
		t.Errorf("responses %v, upstream runs %d; want %d × 201 and %d runs", statuses, up.total(), n, n)
	}
	perRequest := (rss - base) / int64(n)
	if perRequest > 64<<10 {
		t.Errorf("proxy RSS with %d requests in flight: %s over %s at rest, %d KiB each; want under 64 KiB each", n, mib(rss-base), mib(base), perRequest>>10)
	}
	// The peak includes the garbage collector's headroom (GOGC=100: up to
	// twice the live heap) while 10,000 responses finish at once.
	if perPeak := (peak - base) / int64(n); perPeak > 128<<10 {
		t.Errorf("proxy peak RSS %s for %d requests, %d KiB each; want under 128 KiB each", mib(peak), n, perPeak>>10)
	}
	observed(t, "%d distinct keys in flight (claimed in %v, %d 503s retried): proxy RSS %s at rest, %s with all in flight (%d KiB per request), peak %s; responses %v; upstream runs %d",
		n, claimedIn.Round(time.Millisecond), refused, mib(base), mib(rss), perRequest>>10, mib(peak), statuses, up.total())
}
