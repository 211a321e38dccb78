package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one run's measurements.
type Report struct {
	Options Options
	Machine Machine
	Started time.Time
	Elapsed time.Duration

	// Loaded and Unloaded hold each target's results, one per round, by
	// row name; Loaded also holds the 1 MiB-body rows.
	Loaded, Unloaded map[string][]Result
	// Checks are the problems found, by row: errors, non-2xx, outcomes
	// other than the row's.
	Checks map[string][]string

	RTT RTTs

	IdemPeakRSS, PlainPeakRSS int64
	// BigBaseRSS is the fresh idemproxy's RSS before the 1 MiB runs,
	// BigPeakRSS its VmHWM after them.
	BigBaseRSS, BigPeakRSS int64
	RedisPeak              int64
	// Record is what a completed record costs Redis, after the
	// small-body runs.
	Record RecordMemory
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string
	Cores      int
	Kernel, Go string
	Redis, Wrk string
	// Idemproxy is the binary's -version line; Commit the working tree's
	// git describe --always --dirty.
	Idemproxy, Commit     string
	LoadBefore, LoadAfter string
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadBefore: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Print writes the report as the tables BENCHMARKS.md quotes: first the
// summary against the targets, then the details.
func (r *Report) Print(w io.Writer) {
	o, m := r.Options, r.Machine
	fmt.Fprintf(w, "idembench: idemproxy against a plain reverse proxy, one run\n\n")

	fmt.Fprintf(w, "Summary against the targets (medians of %d rounds; ×plain is each round's ratio to the plain proxy of that round; details below)\n", o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tmeasured\twanted\tverdict")
	for _, c := range r.Summary() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, c.GotString(), c.WantString(), c.Verdict())
	}
	tw.Flush()
	fmt.Fprintln(w)

	fmt.Fprintf(w, "machine:  %d × %s, %s, %s\n", m.Cores, m.CPU, m.Kernel, m.Go)
	fmt.Fprintf(w, "build:    %s; tree %s\n", m.Idemproxy, m.Commit)
	fmt.Fprintf(w, "redis:    %s, loopback, --save '' --appendonly no; the Cluster row: %d masters of the same, no replicas\n", m.Redis, clusterSize)
	fmt.Fprintf(w, "load:     %s, 1 thread, keep-alive; every target POSTs the same %d-byte JSON body through the same Lua script\n", m.Wrk, len(OrderBody))
	fmt.Fprintf(w, "runs:     %d interleaved rounds × (%d targets × %s at %d connections + %d targets behind a %s upstream × %s at %d connections), then %d rounds × %s at 1 connection, then 1 MiB bodies at %d connections × %s; %s in all\n",
		o.Rounds, len(targets), o.Duration, o.Conns, len(slowTargets), SlowDelay, o.Duration, o.SlowConns, o.Rounds, o.Unloaded, o.BigConns, o.BigDuration, r.Elapsed.Round(time.Second))
	fmt.Fprintf(w, "uptime:   load average %s before, %s after\n\n", m.LoadBefore, m.LoadAfter)

	fmt.Fprintf(w, "Loaded, %d connections: medians of %d rounds; ×plain is the median of each round's ratio to the plain proxy of that round\n", o.Conns, o.Rounds)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\treq/s\t×plain\tp50\tp99\tp50 ×plain\tp99 ×plain\t")
	plain := r.Loaded[rowPlain]
	for _, t := range targets {
		rs := r.Loaded[t.name]
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%s\t%s\t%.2f\t%.2f\t\n", t.name, medianOf(rs, rps), ratio(rs, plain, rps),
			us(medianOf(rs, p50)), us(medianOf(rs, p99)), ratio(rs, plain, p50), ratio(rs, plain, p99))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nCPU per request in the loaded runs, µs (user + system from /proc/<pid>/stat at 10 ms ticks, and wrk's rusage; medians of %d rounds).\n", o.Rounds)
	fmt.Fprintf(w, "The %d cores are shared by all of these and by whatever else the machine runs: sum × req/s is the CPU the run used.\n", m.Cores)
	fmt.Fprintf(w, "µs/script is Redis's own time executing a script (INFO commandstats, EVALSHA and EVAL: wall time, so inflated when the cores are oversubscribed).\n")
	fmt.Fprintf(w, "The Cluster row's idemproxy is a second one, on the Cluster; its redis-server is the %d nodes' sum.\n", clusterSize)
	r.printCPU(w, targets)

	fmt.Fprintf(w, "\nBehind a %s upstream (a timer per request, no CPU), %d connections, in the same rounds: ×plain and p50 added are to the plain proxy's 2 ms run of the same round, medians\n", SlowDelay, o.SlowConns)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\treq/s\t×plain\tp50\tp99\tp50 added\t")
	splain := r.Loaded[rowSlowPln]
	for _, t := range slowTargets {
		rs := r.Loaded[t.name]
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%s\t%s\t%s\t\n", t.name, medianOf(rs, rps), ratio(rs, splain, rps),
			us(medianOf(rs, p50)), us(medianOf(rs, p99)), signedUS(added(rs, splain)))
	}
	tw.Flush()
	fmt.Fprintf(w, "  CPU per request, µs:\n")
	r.printCPU(w, slowTargets)

	fmt.Fprintf(w, "\nUnloaded, 1 connection: medians of %d rounds; added = the row's p50 minus the plain proxy's p50 of the same round, median\n", o.Rounds)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\treq/s\tp50\tp99\tp50 added\t")
	uplain := r.Unloaded[rowPlain]
	for _, t := range targets {
		if t.loadedOnly {
			continue
		}
		rs := r.Unloaded[t.name]
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t\n", t.name, medianOf(rs, rps), us(medianOf(rs, p50)), us(medianOf(rs, p99)), signedUS(added(rs, uplain)))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRedis round trips before the load runs, sequential, on a client from redisstore.NewClient (p50 / p99):\n")
	fmt.Fprintf(w, "  hot (back to back):         PING %s / %s, claim script %s / %s\n",
		us(float64(r.RTT.PingHot.P50)), us(float64(r.RTT.PingHot.P99)), us(float64(r.RTT.ClaimHot.P50)), us(float64(r.RTT.ClaimHot.P99)))
	fmt.Fprintf(w, "  cold (each after %s idle): PING %s / %s, claim script %s / %s\n", coldGap,
		us(float64(r.RTT.PingCold.P50)), us(float64(r.RTT.PingCold.P99)), us(float64(r.RTT.ClaimCold.P50)), us(float64(r.RTT.ClaimCold.P99)))
	// The summary's bound is in hot claims; the cold one is what an idle
	// machine's first request pays, and a replay's added latency is the
	// floor of one round trip: both for reading the summary's line.
	fmt.Fprintf(w, "  for comparison: 2 × cold claim p50 + 50µs = %s; a replay's unloaded p50 added (one round trip's floor): %s\n",
		us(2*float64(r.RTT.ClaimCold.P50)+float64(targetSlack)), signedUS(added(r.Unloaded[rowReplay], uplain)))

	fmt.Fprintf(w, "\nMemory (peak RSS = VmHWM of /proc/<pid>/status)\n")
	fmt.Fprintf(w, "  idemproxy after the small-body runs: %s (plain proxy: %s)\n", mib(r.IdemPeakRSS), mib(r.PlainPeakRSS))
	lo, hi := r.Record.Range()
	fmt.Fprintf(w, "  Redis memory per completed record (%d-byte body): %d bytes (MEMORY USAGE, median of %d; range %d–%d)\n",
		r.Record.BodyBytes, r.Record.Median, len(r.Record.Samples), lo, hi)
	fmt.Fprintf(w, "  Redis used_memory per key after the small-body runs: %d bytes (used_memory − the empty server's, %s, over %d keys: records of every row, Redis's own overheads included)\n",
		r.Record.PerKey(), mib(r.Record.UsedMemory), r.Record.Keys)
	perConn := float64(r.BigPeakRSS-r.BigBaseRSS) / float64(o.BigConns)
	fmt.Fprintf(w, "  1 MiB bodies, a fresh idemproxy (%s RSS at start), %d connections, defaults max_request_body = max_response_body = 1 MiB:\n", mib(r.BigBaseRSS), o.BigConns)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "    run\treq/s\t×plain\tp50\tp99\t")
	for _, t := range bigTargets {
		rs := r.Loaded[t.name]
		fmt.Fprintf(tw, "    %s\t%.0f\t%.2f\t%s\t%s\t\n", t.name, medianOf(rs, rps), ratio(rs, r.Loaded[rowBigPln], rps), us(medianOf(rs, p50)), us(medianOf(rs, p99)))
	}
	tw.Flush()
	fmt.Fprintf(w, "  CPU per request, µs:\n")
	r.printCPU(w, bigTargets)
	fmt.Fprintf(w, "  peak RSS %s: %s above start, %.1f MiB per connection = %.1f × (max_request_body + max_response_body); redis used_memory_peak %s\n",
		mib(r.BigPeakRSS), mib(r.BigPeakRSS-r.BigBaseRSS), perConn/(1<<20), perConn/float64(2<<20), mib(r.RedisPeak))

	fmt.Fprintf(w, "\nChecks (socket errors, non-2xx responses, idemproxy outcomes other than the row's): ")
	if len(r.Checks) == 0 {
		fmt.Fprintln(w, "none")
		return
	}
	fmt.Fprintln(w)
	names := make([]string, 0, len(r.Checks))
	for k := range r.Checks {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(r.Checks[k], "; "))
	}
}

// cpuColumns are the processes whose CPU the report shows, by Proc name.
var cpuColumns = []string{"idemproxy", "plain", "upstream", "redis-server", "wrk"}

// cpuPerRequest returns a function giving process p's CPU per request of a
// run in µs ("" sums every process).
func cpuPerRequest(p string) func(Result) float64 {
	return func(r Result) float64 {
		if r.Requests == 0 {
			return 0
		}
		var t time.Duration
		for name, d := range r.CPU {
			if p == "" || name == p {
				t += d
			}
		}
		return float64(t) / 1e3 / float64(r.Requests)
	}
}

func scriptsPerRequest(r Result) float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Scripts.Calls) / float64(r.Requests)
}

func usecPerScript(r Result) float64 {
	if r.Scripts.Calls == 0 {
		return 0
	}
	return float64(r.Scripts.Usec) / float64(r.Scripts.Calls)
}

// coresUsed is the CPU every process used during the run, in cores.
func coresUsed(r Result) float64 {
	var t time.Duration
	for _, d := range r.CPU {
		t += d
	}
	if r.Elapsed <= 0 {
		return 0
	}
	return t.Seconds() / r.Elapsed.Seconds()
}

// printCPU writes the CPU-per-request table of ts.
func (r *Report) printCPU(w io.Writer, ts []target) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "target\t")
	for _, p := range cpuColumns {
		fmt.Fprintf(tw, "%s\t", p)
	}
	fmt.Fprintln(tw, "sum\tcores used\tscripts/req\tµs/script\t")
	for _, t := range ts {
		rs := r.Loaded[t.name]
		fmt.Fprintf(tw, "%s\t", t.name)
		for _, p := range cpuColumns {
			fmt.Fprintf(tw, "%.0f\t", medianOf(rs, cpuPerRequest(p)))
		}
		fmt.Fprintf(tw, "%.0f\t%.2f\t%.2f\t%.1f\t\n", medianOf(rs, cpuPerRequest("")), medianOf(rs, coresUsed),
			medianOf(rs, scriptsPerRequest), medianOf(rs, usecPerScript))
	}
	tw.Flush()
}

func rps(r Result) float64 { return r.RPS }
func p50(r Result) float64 { return float64(r.P50) }
func p99(r Result) float64 { return float64(r.P99) }

// medianOf is the median of f over rs (0 when empty).
func medianOf(rs []Result, f func(Result) float64) float64 {
	v := make([]float64, 0, len(rs))
	for _, r := range rs {
		v = append(v, f(r))
	}
	return median(v)
}

// ratio is the median over rounds of f(rs[i]) / f(base[i]).
func ratio(rs, base []Result, f func(Result) float64) float64 {
	var v []float64
	for i := range min(len(rs), len(base)) {
		if b := f(base[i]); b > 0 {
			v = append(v, f(rs[i])/b)
		}
	}
	return median(v)
}

// added is the median over rounds of rs[i].P50 - base[i].P50, in ns.
func added(rs, base []Result) float64 {
	var v []float64
	for i := range min(len(rs), len(base)) {
		v = append(v, float64(rs[i].P50-base[i].P50))
	}
	return median(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// us formats nanoseconds as µs (ms from 10 ms on).
func us(ns float64) string {
	if ns >= float64(10*time.Millisecond) {
		return fmt.Sprintf("%.1fms", ns/1e6)
	}
	return fmt.Sprintf("%.0fµs", ns/1e3)
}

func signedUS(ns float64) string {
	if ns >= 0 {
		return "+" + us(ns)
	}
	return "-" + us(-ns)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
