package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMedianRatioAdded(t *testing.T) {
	t.Parallel()
	res := func(rps float64, p50 time.Duration) Result { return Result{RPS: rps, P50: p50} }
	tests := []struct {
		name            string
		rs, base        []Result
		wantMedian      float64
		wantRatio       float64
		wantAddedMicros float64
	}{
		{name: "empty", wantMedian: 0, wantRatio: 0, wantAddedMicros: 0},
		{
			name:       "odd: the middle value, ratios per round",
			rs:         []Result{res(300, 300*time.Microsecond), res(100, 100*time.Microsecond), res(200, 200*time.Microsecond)},
			base:       []Result{res(100, 100*time.Microsecond), res(100, 100*time.Microsecond), res(50, 50*time.Microsecond)},
			wantMedian: 200, wantRatio: 3, wantAddedMicros: 150,
		},
		{
			name:       "even: the mean of the two middle values",
			rs:         []Result{res(1, 0), res(4, 0), res(2, 0), res(3, 0)},
			base:       []Result{res(1, 0), res(1, 0), res(1, 0), res(1, 0)},
			wantMedian: 2.5, wantRatio: 2.5,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := medianOf(tc.rs, rps); got != tc.wantMedian {
				t.Errorf("medianOf = %v, want %v", got, tc.wantMedian)
			}
			if got := ratio(tc.rs, tc.base, rps); got != tc.wantRatio {
				t.Errorf("ratio = %v, want %v", got, tc.wantRatio)
			}
			if got := added(tc.rs, tc.base) / 1e3; got != tc.wantAddedMicros {
				t.Errorf("added = %vµs, want %vµs", got, tc.wantAddedMicros)
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `# HELP idemproxy_requests_total Requests.
# TYPE idemproxy_requests_total counter
idemproxy_requests_total{outcome="executed",route="orders"} 10
idemproxy_requests_total{outcome="executed",route="blob"} 5
idemproxy_requests_total{outcome="replayed",route="orders"} 7
idemproxy_request_duration_seconds_count{outcome="executed",route="orders"} 99
`)
	}))
	t.Cleanup(srv.Close)
	got, err := Outcomes(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got["executed"] != 15 || got["replayed"] != 7 || len(got) != 2 {
		t.Errorf("Outcomes = %v, want executed 15 (summed over routes), replayed 7, nothing else", got)
	}
	d := diff(map[string]float64{"executed": 10, "replayed": 7}, got)
	if d["executed"] != 5 || len(d) != 1 {
		t.Errorf("diff = %v, want only executed 5", d)
	}
}

func TestUpstream(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(Upstream())
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   *regexp.Regexp
		wantLen    int
		// wantAtLeast is the least time the answer may take.
		wantAtLeast time.Duration
	}{
		{name: "order", path: "/orders", wantStatus: http.StatusCreated, wantBody: regexp.MustCompile(`^\{"order_id":"[0-9a-f]+","customer_id":"c-1","total":"25.00"\}$`)},
		{name: "order, json route", path: "/orders-json", wantStatus: http.StatusCreated, wantBody: regexp.MustCompile(`^\{"order_id"`)},
		{name: "order, slow route", path: "/slow-orders", wantStatus: http.StatusCreated, wantBody: regexp.MustCompile(`^\{"order_id"`), wantAtLeast: SlowDelay},
		{name: "blob", path: "/blob?size=1000", wantStatus: http.StatusCreated, wantLen: 1000},
		{name: "blob too large", path: "/blob?size=9999999999", wantStatus: http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			resp, err := http.Post(srv.URL+tc.path, "application/json", strings.NewReader(OrderBody))
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took < tc.wantAtLeast {
				t.Errorf("answered in %v, want at least %v", took, tc.wantAtLeast)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantBody != nil && !tc.wantBody.Match(body) {
				t.Errorf("body %q, want it to match %v", body, tc.wantBody)
			}
			if tc.wantLen > 0 && len(body) != tc.wantLen {
				t.Errorf("body of %d bytes, want %d", len(body), tc.wantLen)
			}
		})
	}
}

func TestProcAccounting(t *testing.T) {
	t.Parallel()
	p, line, err := StartProc("sh", regexp.MustCompile(`^ready$`), nil, "/bin/sh", "-c", "echo ready; exec sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	if line != "ready" {
		t.Errorf("ready line %q, want %q", line, "ready")
	}
	if rss, err := p.PeakRSS(); err != nil || rss <= 0 {
		t.Errorf("PeakRSS = %d, %v; want > 0", rss, err)
	}
	if cpu, err := p.CPUTime(); err != nil || cpu < 0 {
		t.Errorf("CPUTime = %v, %v; want ≥ 0", cpu, err)
	}
	p.Stop()
	if done, _ := p.Exited(); !done {
		t.Error("still running after Stop")
	}
}

// TestWrk runs wrk.lua against Upstream for a second in each key mode and
// checks that its result line parses and the keys are what the mode says.
func TestWrk(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed (apt-get install wrk); make bench needs it")
	}
	keys := make(chan string, 1<<16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case keys <- r.Header.Get("Idempotency-Key"):
		default:
		}
		Upstream().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	w, err := FindWrk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode     string
		wantKeys func(seen map[string]int, n int) bool
	}{
		{NoKey, func(seen map[string]int, n int) bool { return len(seen) == 1 && seen[""] == n }},
		{SameKey, func(seen map[string]int, n int) bool { return len(seen) == 1 && seen["k"] == n }},
		{UniqueKey, func(seen map[string]int, n int) bool { return len(seen) == n && seen[""] == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			res, err := w.Run(t.Context(), Load{URL: srv.URL + "/orders", Mode: tc.mode, Key: "k", Body: OrderBody, Conns: 2, Duration: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests == 0 || res.RPS <= 0 || res.P50 <= 0 || res.Errors != 0 || res.Non2xx != 0 {
				t.Fatalf("result %+v: want requests, a rate and a p50, no errors", res)
			}
			seen := map[string]int{}
			n := 0
			for len(keys) > 0 {
				seen[<-keys]++
				n++
			}
			if !tc.wantKeys(seen, n) {
				t.Errorf("%d requests with %d distinct keys (%d without): not what mode %s sends", n, len(seen), seen[""], tc.mode)
			}
		})
	}
}
