package chaos

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// upstreamStack is orderapp behind a fault proxy, behind idemproxy on the
// shared Redis.
type upstreamStack struct {
	oa    *orderapp
	fp    *faultproxy.Proxy
	p     *idemproxy
	rc    *redistest.Server
	keyer keyer
}

func newUpstreamStack(t *testing.T, cfg proxyConfig, orderappArgs ...string) *upstreamStack {
	t.Helper()
	s := &upstreamStack{oa: startOrderapp(t, orderappArgs...), rc: redistest.Shared(t), keyer: newKeyer(t)}
	s.fp = startFault(t, s.oa.url)
	cfg.Upstream, cfg.Redis = "http://"+s.fp.Addr(), redisURL(s.rc.Addr())
	s.p = startProxy(t, cfg)
	return s
}

// checkFailedRecord checks that key's record is FAILED with status and
// holds no response: nothing of a broken exchange is kept for replay.
func (s *upstreamStack) checkFailedRecord(t *testing.T, customer, key string, status string) {
	t.Helper()
	rec := record(t, s.rc.Client(t), s.keyer.orderKey(t, customer, key))
	if rec["s"] != stateFailed || rec["c"] != status {
		t.Errorf("record = state %q status %q, want FAILED (%s) %s", rec["s"], rec["c"], stateFailed, status)
	}
	if _, ok := rec["r"]; ok {
		t.Errorf("record holds a response (%d bytes) after a broken exchange, want none", len(rec["r"]))
	}
}

// checkRetryRejected checks that a retry is 409 previously-failed naming
// status, and that orderapp's charges did not move.
func (s *upstreamStack) checkRetryRejected(t *testing.T, key, body, status string) response {
	t.Helper()
	before := s.oa.charges(t)
	r := postOrder(t, s.p, key, body)
	if r.status != http.StatusConflict || r.problem != problemFailed || !strings.Contains(r.body, status) {
		t.Errorf("retry: %v %s, want 409 %s naming %s", r, r.body, problemFailed, status)
	}
	if after := s.oa.charges(t); after != before {
		t.Errorf("orderapp charges went from %v to %v on a retry", before, after)
	}
	return r
}

// TestUpstreamRefused is matrix row 6a: nothing listens at the upstream.
// The request was never sent, so the key is released: 502 with
// Retry-After, and the same key runs once when the upstream is back.
func TestUpstreamRefused(t *testing.T) {
	t.Parallel()
	s := newUpstreamStack(t, proxyConfig{})
	customer := unique("cust")
	key, body := unique("refused"), order(customer, "tok_visa", 1)

	s.fp.Pause()
	r := postOrder(t, s.p, key, body)
	if r.status != http.StatusBadGateway || r.problem != problemUnreachable || r.header.Get("Retry-After") == "" {
		t.Errorf("upstream refused: %v (Retry-After %q), want 502 %s with Retry-After", r, r.header.Get("Retry-After"), problemUnreachable)
	}
	if rec := record(t, s.rc.Client(t), s.keyer.orderKey(t, customer, key)); rec["s"] == stateInProgress || rec["s"] == stateCompleted || rec["s"] == stateFailed {
		t.Errorf("record after a refused upstream: %v, want it released", rec)
	}
	if err := s.fp.Resume(); err != nil {
		t.Fatal(err)
	}
	again := postOrder(t, s.p, key, body)
	replay := postOrder(t, s.p, key, body)
	if again.status != http.StatusCreated || again.replayed() || !sameResponse(again, replay) || !replay.replayed() {
		t.Errorf("once the upstream is back: %v then %v, want 201 then its replay", again, replay)
	}
	charges := s.oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1", charges)
	}
	observed(t, "%v (Retry-After %s), key released; upstream back: %v, then %v; charges %v", r, r.header.Get("Retry-After"), again, replay, charges)
}

// TestUpstreamResetBeforeTheResponse is matrix row 6b: orderapp placed the
// order, then the connection broke before its response reached the proxy.
// The outcome is unknown to the proxy: 502, recorded failed, retries 409 —
// never a second charge.
func TestUpstreamResetBeforeTheResponse(t *testing.T) {
	t.Parallel()
	s := newUpstreamStack(t, proxyConfig{})
	customer := unique("cust")
	key, body := unique("reset"), order(customer, "tok_visa", 1)

	s.fp.SetFilter(func(c faultproxy.Chunk) faultproxy.Decision {
		if c.Dir == faultproxy.ToClient {
			return faultproxy.Decision{Verdict: faultproxy.Reset}
		}
		return faultproxy.Decision{}
	})
	r := postOrder(t, s.p, key, body)
	if r.status != http.StatusBadGateway || r.problem != problemUpstreamFailed {
		t.Errorf("upstream reset: %v, want 502 %s", r, problemUpstreamFailed)
	}
	s.fp.Heal()
	s.checkFailedRecord(t, customer, key, "502")
	retry := s.checkRetryRejected(t, key, body, "502")
	charges := s.oa.charges(t)
	if charges != 1 {
		t.Errorf("orderapp charges = %v, want 1 (orderapp did place it)", charges)
	}
	observed(t, "%v; record FAILED 502, no body stored; retry %v; charges %v", r, retry, charges)
}

// headerEnd returns the index just past the header block of an HTTP
// response in b, or -1.
func headerEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return -1
}

// TestUpstreamTruncatesItsBody is matrix row 6d: orderapp's response is cut
// after its headers and a few body bytes, by a FIN (looks like an orderly
// end) or a RST. The client must not get a short body that looks whole,
// nothing is stored for replay, and retries are 409 — never a second charge.
func TestUpstreamTruncatesItsBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cut  faultproxy.Verdict
	}{{"FIN", faultproxy.Close}, {"RST", faultproxy.Reset}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newUpstreamStack(t, proxyConfig{})
			customer := unique("cust")
			key, body := unique("trunc"), order(customer, "tok_visa", 1)
			s.fp.SetFilter(func(c faultproxy.Chunk) faultproxy.Decision {
				if c.Dir != faultproxy.ToClient || c.Offset != 0 {
					return faultproxy.Decision{}
				}
				end := headerEnd(c.Data)
				if end < 0 || end+5 >= len(c.Data) {
					t.Errorf("orderapp's response did not come in one chunk: %q", c.Data)
					return faultproxy.Decision{Verdict: tc.cut}
				}
				return faultproxy.Decision{Verdict: tc.cut, Forward: end + 5}
			})
			r, err := post(context.Background(), s.p.url+"/orders", key, body)
			if err == nil {
				t.Errorf("truncated upstream body reached the client as a whole response: %v %q", r, r.body)
			}
			s.fp.Heal()
			s.checkFailedRecord(t, customer, key, "500")
			retry := s.checkRetryRejected(t, key, body, "500")
			charges := s.oa.charges(t)
			if charges != 1 {
				t.Errorf("orderapp charges = %v, want 1", charges)
			}
			observed(t, "cut by %s after headers + 5 body bytes: client read error %q (%d body bytes); record FAILED 500, no body stored; retry %v; charges %v",
				tc.name, errText(err), len(r.body), retry, charges)
		})
	}
}

func errText(err error) string {
	if err == nil {
		return "none"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// TestUpstreamSlowPastTheTimeout is matrix row 6c: orderapp takes longer
// than the route's handler_timeout. 504, recorded failed, retries 409; the
// cancelled call and the retry never make a second charge.
func TestUpstreamSlowPastTheTimeout(t *testing.T) {
	t.Parallel()
	s := newUpstreamStack(t, proxyConfig{HandlerTimeout: time.Second}, "-latency", "3s")
	customer := unique("cust")
	key, body := unique("slowup"), order(customer, "tok_visa", 1)
	r := postOrder(t, s.p, key, body)
	if r.status != http.StatusGatewayTimeout || r.problem != problemUpstreamTimeout {
		t.Errorf("slow upstream: %v, want 504 %s", r, problemUpstreamTimeout)
	}
	if r.took > 3*time.Second {
		t.Errorf("504 took %v, want about the 1s handler_timeout", r.took)
	}
	s.checkFailedRecord(t, customer, key, "504")
	retry := s.checkRetryRejected(t, key, body, "504")
	charges := s.oa.charges(t)
	if charges > 1 {
		t.Errorf("orderapp charges = %v, want at most 1", charges)
	}
	observed(t, "%v after %v; record FAILED 504, no body stored; retry %v; charges %v (orderapp saw the cancellation)", r, r.took.Round(time.Millisecond), retry, charges)
}
