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

// fakeReport is a run of three rounds whose numbers put each target of
// the summary on a known side of its bound.
func fakeReport() *Report {
	res := func(rps float64, p50 time.Duration) Result { return Result{RPS: rps, P50: p50, Requests: 1} }
	rounds := func(rs ...Result) []Result { return rs }
	const us = time.Microsecond
	return &Report{
		Options: Options{Rounds: 3, Conns: 32, SlowConns: 8, BigConns: 8},
		Loaded: map[string][]Result{
			rowPlain: rounds(res(1000, 0), res(2000, 0), res(1000, 0)),
			// Ratios 0.8, 0.9, 0.6: the median meets 0.75, the worst round
			// misses 0.65.
			rowFirst:   rounds(res(800, 0), res(1800, 0), res(600, 0)),
			rowPass:    rounds(res(980, 0), res(1960, 0), res(980, 0)),   // 0.98 ≥ 0.97
			rowReplay:  rounds(res(3000, 0), res(6000, 0), res(3000, 0)), // 3.0 < 3.5
			rowCluster: rounds(res(700, 0), res(1400, 0), res(700, 0)),
			// 2 ms rows: 0.975× plain, p50 +200 µs, both within bounds.
			rowSlowPln: rounds(res(2000, 3000*us), res(2000, 3100*us), res(2000, 2900*us)),
			rowSlow:    rounds(res(1950, 3200*us), res(1950, 3300*us), res(1950, 3100*us)),
			rowBigPln:  rounds(res(100, 0)),
			rowBig:     rounds(res(50, 0)), // 0.5 ≥ 0.4
		},
		Unloaded: map[string][]Result{
			rowPlain: rounds(res(1, 300*us), res(1, 300*us), res(1, 300*us)),
			rowFirst: rounds(res(1, 500*us), res(1, 600*us), res(1, 540*us)), // +240 µs ≤ 2 × 100 + 50
		},
		RTT:        RTTs{ClaimHot: RTT{P50: 100 * us, N: 100}},
		BigPeakRSS: 120 << 20, // over 100 MiB
		Record:     RecordMemory{Samples: []int64{350, 360, 370}, Median: 360},
	}
}

// TestSummary: every target of the issue is met or missed by the measured
// value, the Cluster row is reported without a target, and a run without
// a row's data says so instead of passing or failing it.
func TestSummary(t *testing.T) {
	t.Parallel()
	byName := func(cs []Check) map[string]Check {
		m := map[string]Check{}
		for _, c := range cs {
			m[c.Name] = c
		}
		return m
	}
	got := byName(fakeReport().Summary())
	for _, want := range []struct {
		name    string
		value   float64
		verdict string
	}{
		{"first request ×plain (median of rounds)", 0.8, "met"},
		{"first request ×plain, worst round", 0.6, "missed"},
		{"pass-through ×plain", 0.98, "met"},
		{"replay ×plain", 3.0, "missed"},
		{"2 ms upstream: first request ×plain", 0.975, "met"},
		{"2 ms upstream: first request p50 added", 200, "met"},
		{"1 MiB request + 1 MiB response: first ×plain", 0.5, "met"},
		{"1 MiB run: idemproxy peak RSS", 120, "missed"},
		{"unloaded first request p50 added", 240, "met"},
		{"Redis MEMORY USAGE of a completed record", 360, "met"},
		{"3-master Cluster: first request ×plain", 0.7, "report only"},
	} {
		c, ok := got[want.name]
		if !ok {
			t.Errorf("summary has no line %q", want.name)
			continue
		}
		if d := c.Got - want.value; d > 1e-9 || d < -1e-9 || c.Verdict() != want.verdict {
			t.Errorf("%s: %v, %s; want %v, %s", want.name, c.Got, c.Verdict(), want.value, want.verdict)
		}
	}
	if len(got) != 11 {
		t.Errorf("%d summary lines, want 11", len(got))
	}
	if w := got["unloaded first request p50 added"].WantString(); !strings.Contains(w, "250 µs") {
		t.Errorf("unloaded bound shown as %q, want it to state 2 × 100 µs + 50 µs = 250 µs", w)
	}

	// The unloaded bound moves with the measured claim: slower claims
	// admit more.
	r := fakeReport()
	r.RTT.ClaimHot.P50 = 90 * time.Microsecond // 2 × 90 + 50 = 230 < 240
	if v := byName(r.Summary())["unloaded first request p50 added"].Verdict(); v != "missed" {
		t.Errorf("unloaded p50 added 240 µs against 2 × 90 µs + 50 µs: %s, want missed", v)
	}

	for _, c := range (&Report{}).Summary() {
		if c.Verdict() != "no data" || c.GotString() != "—" {
			t.Errorf("empty report, %s: %s %s; want no data, —", c.Name, c.GotString(), c.Verdict())
		}
	}
}

// TestPrintSummaryFirst: the report opens with the summary, one line per
// target with its verdict, before the machine and the detailed tables.
func TestPrintSummaryFirst(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	fakeReport().Print(&b)
	out := b.String()
	summary, details, ok := strings.Cut(out, "\nmachine:")
	if !ok {
		t.Fatalf("no machine line in the report:\n%s", out)
	}
	for _, want := range []string{"first request ×plain, worst round", "0.60×", "≥ 0.65×", "missed", "360 bytes", "report only"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary block lacks %q:\n%s", want, summary)
		}
	}
	if !strings.Contains(details, "Loaded, 32 connections") || strings.Contains(summary, "Loaded, 32 connections") {
		t.Errorf("the detailed tables should follow the summary:\n%s", out)
	}
	if !strings.Contains(details, "Redis memory per completed record") {
		t.Errorf("no Redis memory per record line in the details:\n%s", details)
	}
}
