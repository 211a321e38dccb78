package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
)

// Options configure a benchmark run. Zero fields take the defaults below.
type Options struct {
	// Idemproxy is the idemproxy binary under test; Self is idembench's
	// own binary, which serves the upstream and the plain proxy.
	Idemproxy, Self string
	// Conns are wrk's keep-alive connections in the loaded runs.
	Conns int
	// Rounds of interleaved runs (every target once per round).
	Rounds int
	// Duration of each loaded run; Unloaded of each one-connection run.
	Duration, Unloaded time.Duration
	// SlowConns are the connections of the 2 ms upstream rows: few, as
	// for a latency-bound service, so that latency, not CPU, bounds them.
	SlowConns int
	// BigConns and BigDuration shape the 1 MiB-body runs.
	BigConns    int
	BigDuration time.Duration
	// Progress receives a line per run. Default: io.Discard.
	Progress io.Writer
}

// Defaults of Options: 3 rounds × (7 targets at 32 connections + 2 at 8) ×
// 5 s loaded, 3 × 5 × 2 s unloaded and 4 × 3 s with 1 MiB bodies, about
// 3.5 minutes in all.
const (
	DefaultConns       = 32
	DefaultSlowConns   = 8
	DefaultRounds      = 3
	DefaultDuration    = 5 * time.Second
	DefaultUnloaded    = 2 * time.Second
	DefaultBigConns    = 8
	DefaultBigDuration = 3 * time.Second
)

func (o *Options) defaults() {
	setDefault(&o.Conns, DefaultConns)
	setDefault(&o.SlowConns, DefaultSlowConns)
	setDefault(&o.Rounds, DefaultRounds)
	setDefault(&o.Duration, DefaultDuration)
	setDefault(&o.Unloaded, DefaultUnloaded)
	setDefault(&o.BigConns, DefaultBigConns)
	setDefault(&o.BigDuration, DefaultBigDuration)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// target is one row of the table.
type target struct {
	name string
	// load returns the target's load on e (URL, key mode, body).
	load func(e *env, run string) Load
	// want is the outcome idemproxy must count for every request; "" for
	// the targets that are not idemproxy.
	want string
	// loadedOnly: not in the unloaded runs (an extra row, not a target).
	loadedOnly bool
	// cluster: the row's idemproxy is the one on the Redis Cluster, whose
	// CPU and scripts are the cluster's.
	cluster bool
}

// Row names; the report looks the ratios up by them.
const (
	rowDirect  = "direct (upstream alone)"
	rowPlain   = "plain proxy"
	rowFirst   = "idemproxy first request (unique keys)"
	rowReplay  = "idemproxy replay (same key)"
	rowPass    = "idemproxy no key (pass-through)"
	rowJSON    = "idemproxy first request, json:/customer_id scope"
	rowCluster = "idemproxy first request, 3-master Cluster"
	rowSlowPln = "plain proxy, 2 ms upstream"
	rowSlow    = "idemproxy first request, 2 ms upstream"
	rowBigPln  = "plain proxy, 1 MiB request + 1 MiB response"
	rowBig     = "1 MiB request + 1 MiB response, first (unique keys)"
	rowBigRep  = "1 MiB response, replay (same key)"
	rowBigOver = "4 MiB response, first (not replayable: over max_response_body)"
)

var targets = []target{
	{name: rowDirect, load: func(e *env, _ string) Load {
		return Load{URL: e.upstream.URL + "/orders", Mode: NoKey, Body: OrderBody}
	}},
	{name: rowPlain, load: func(e *env, _ string) Load { return Load{URL: e.plain.URL + "/orders", Mode: NoKey, Body: OrderBody} }},
	{name: rowFirst, want: "executed", load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/orders", Mode: UniqueKey, Key: "first-" + run, Body: OrderBody}
	}},
	{name: rowReplay, want: "replayed", load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/orders", Mode: SameKey, Key: "replay-" + run, Body: OrderBody}
	}},
	{name: rowPass, want: "bypassed", load: func(e *env, _ string) Load { return Load{URL: e.idem.URL + "/orders", Mode: NoKey, Body: OrderBody} }},
	{name: rowJSON, want: "executed", loadedOnly: true, load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/orders-json", Mode: UniqueKey, Key: "json-" + run, Body: OrderBody}
	}},
	{name: rowCluster, want: "executed", loadedOnly: true, cluster: true, load: func(e *env, run string) Load {
		return Load{URL: e.idemCluster.URL + "/orders", Mode: UniqueKey, Key: "cluster-" + run, Body: OrderBody}
	}},
}

// slowTargets are the rows behind the 2 ms upstream, at SlowConns, in the
// same rounds as targets.
var slowTargets = []target{
	{name: rowSlowPln, loadedOnly: true, load: func(e *env, _ string) Load {
		return Load{URL: e.plain.URL + "/slow-orders", Mode: NoKey, Body: OrderBody}
	}},
	{name: rowSlow, want: "executed", loadedOnly: true, load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/slow-orders", Mode: UniqueKey, Key: "slow-" + run, Body: OrderBody}
	}},
}

var bigTargets = []target{
	{name: rowBigPln, load: func(e *env, _ string) Load {
		return Load{URL: e.plain.URL + "/blob?size=1048576", Mode: NoKey, Body: "rep:1048576"}
	}},
	{name: rowBig, want: "executed", load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/blob?size=1048576", Mode: UniqueKey, Key: "big-" + run, Body: "rep:1048576"}
	}},
	{name: rowBigRep, want: "replayed", load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/blob?size=1048576", Mode: SameKey, Key: "bigreplay-" + run, Body: "rep:1024"}
	}},
	{name: rowBigOver, want: "executed", load: func(e *env, run string) Load {
		return Load{URL: e.idem.URL + "/blob?size=4194304", Mode: UniqueKey, Key: "over-" + run, Body: "rep:1024"}
	}},
}

// Run runs the whole benchmark and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	rep := &Report{Options: o, Machine: machine(), Started: time.Now(),
		Loaded: map[string][]Result{}, Unloaded: map[string][]Result{}, Checks: map[string][]string{}}
	dir, err := os.MkdirTemp("", "idembench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	progress := func(format string, args ...any) { fmt.Fprintf(o.Progress, format+"\n", args...) }
	progress("starting redis-server, a 3-master Redis Cluster, the upstream and the proxies")
	e, err := startEnv(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	defer e.stop()
	rep.Machine.Redis, rep.Machine.Wrk = e.redis.Version, e.wrk.Version
	rep.Machine.Idemproxy, rep.Machine.Commit = versionOf(o.Idemproxy), gitDescribe()
	run := rand.Text()[:8] // keys of this run only

	// The round trip first, on an idle machine.
	progress("redis round trips: PINGs and claims, back to back and after 1 ms pauses")
	if rep.RTT, err = MeasureRTT(ctx, e.redis.URL(), 2000); err != nil {
		return nil, fmt.Errorf("redis round trip: %w", err)
	}

	// Every target answers as it should before anything is timed.
	if err := prime(ctx, e.idem.URL+"/orders", "replay-"+run, OrderBody); err != nil {
		return nil, err
	}
	for _, t := range append(slices.Clone(targets), slowTargets...) {
		if err := checkTarget(ctx, t.load(e, run)); err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
	}

	m := &measurer{e: e, run: run, rep: rep, progress: progress}
	progress("warm-up: every target 1s")
	for _, t := range targets {
		if _, err := m.measure(ctx, t, o.Conns, time.Second, nil); err != nil {
			return nil, err
		}
	}
	for _, t := range slowTargets {
		if _, err := m.measure(ctx, t, o.SlowConns, time.Second, nil); err != nil {
			return nil, err
		}
	}
	for r := range o.Rounds {
		for _, t := range targets {
			progress("round %d/%d, %d connections, %s: %s", r+1, o.Rounds, o.Conns, o.Duration, t.name)
			if _, err := m.measure(ctx, t, o.Conns, o.Duration, rep.Loaded); err != nil {
				return nil, err
			}
		}
		for _, t := range slowTargets {
			progress("round %d/%d, %d connections, %s: %s", r+1, o.Rounds, o.SlowConns, o.Duration, t.name)
			if _, err := m.measure(ctx, t, o.SlowConns, o.Duration, rep.Loaded); err != nil {
				return nil, err
			}
		}
	}
	for r := range o.Rounds {
		for _, t := range targets {
			if t.loadedOnly {
				continue
			}
			progress("unloaded round %d/%d, 1 connection, %s: %s", r+1, o.Rounds, o.Unloaded, t.name)
			if _, err := m.measure(ctx, t, 1, o.Unloaded, rep.Unloaded); err != nil {
				return nil, err
			}
		}
	}
	if rep.IdemPeakRSS, err = e.idem.PeakRSS(); err != nil {
		return nil, err
	}
	if rep.PlainPeakRSS, err = e.plain.PeakRSS(); err != nil {
		return nil, err
	}
	// What a completed record costs Redis, while the small-body runs'
	// records are all there.
	progress("redis memory: MEMORY USAGE of %d completed records", recordSamples)
	if rep.Record, err = e.redis.RecordMemory(ctx, recordSamples, e.redisBaseUsed); err != nil {
		return nil, fmt.Errorf("redis memory per record: %w", err)
	}
	if rep.Record.BodyBytes, err = receiptLen(ctx, e.upstream.URL+"/orders"); err != nil {
		return nil, err
	}

	// The 1 MiB-body runs on a fresh idemproxy, so its peak RSS is theirs,
	// with the Cluster row's processes gone.
	e.stopCluster()
	e.idem.Stop()
	if err := e.redis.Flush(ctx); err != nil {
		return nil, err
	}
	if e.idem, err = e.startIdem(o); err != nil {
		return nil, err
	}
	if rep.BigBaseRSS, err = e.idem.RSS(); err != nil {
		return nil, err
	}
	for _, t := range bigTargets {
		if t.name == rowBigRep { // its record lives for the blob route's short ttl
			if err := prime(ctx, e.idem.URL+"/blob?size=1048576", "bigreplay-"+run, expandBody("rep:1024")); err != nil {
				return nil, err
			}
		}
		progress("1 MiB bodies, %d connections, %s: %s", o.BigConns, o.BigDuration, t.name)
		if _, err := m.measure(ctx, t, o.BigConns, o.BigDuration, rep.Loaded); err != nil {
			return nil, err
		}
	}
	if rep.BigPeakRSS, err = e.idem.PeakRSS(); err != nil {
		return nil, err
	}
	if rep.RedisPeak, err = e.redis.UsedMemoryPeak(ctx); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(rep.Started)
	rep.Machine.LoadAfter = loadAvg()
	return rep, nil
}

// measurer runs one target's load and checks it.
type measurer struct {
	e        *env
	run      string
	rep      *Report
	progress func(string, ...any)
	n        int
}

// measure runs t with conns connections for d; into, when set, collects
// the result under t's name. Problems (errors, statuses, outcomes other
// than t.want) are recorded in the report's checks.
func (m *measurer) measure(ctx context.Context, t target, conns int, d time.Duration, into map[string][]Result) (Result, error) {
	m.n++
	l := t.load(m.e, m.run)
	l.Conns, l.Duration = conns, d
	if l.Mode == UniqueKey {
		l.Key += "-" + strconv.Itoa(m.n) // unique across runs too
	}
	idem := m.e.idem
	if t.cluster {
		idem = m.e.idemCluster
	}
	var before map[string]float64
	var err error
	if t.want != "" {
		if before, err = Outcomes(ctx, idem.Admin); err != nil {
			return Result{}, err
		}
	}
	procs := m.e.accounted(t)
	cpu0 := make([]time.Duration, len(procs))
	for i, p := range procs {
		if cpu0[i], err = p.CPUTime(); err != nil {
			return Result{}, err
		}
	}
	sc0, err := m.e.scripts(ctx, t)
	if err != nil {
		return Result{}, err
	}
	res, err := m.e.wrk.Run(ctx, l)
	for i, p := range procs {
		if err == nil {
			var t time.Duration
			t, err = p.CPUTime()
			res.CPU[p.column] += t - cpu0[i] // the cluster's nodes add up
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, errInterrupted
		}
		return Result{}, err
	}
	if err := m.e.alive(); err != nil {
		return Result{}, err
	}
	sc1, err := m.e.scripts(ctx, t)
	if err != nil {
		return Result{}, err
	}
	res.Scripts = ScriptStats{Calls: sc1.Calls - sc0.Calls, Usec: sc1.Usec - sc0.Usec}
	if into == nil {
		return res, nil
	}
	into[t.name] = append(into[t.name], res)
	var problems []string
	if res.Errors > 0 || res.Non2xx > 0 {
		problems = append(problems, fmt.Sprintf("%d socket errors, %d non-2xx of %d", res.Errors, res.Non2xx, res.Requests))
	}
	if t.want != "" {
		if err := settle(ctx); err != nil {
			return Result{}, err
		}
		after, err := Outcomes(ctx, idem.Admin)
		if err != nil {
			return Result{}, err
		}
		d := diff(before, after)
		// wrk stops with up to conns requests in flight, which idemproxy
		// still counts.
		if got := d[t.want]; got < res.Requests || got > res.Requests+int64(conns) {
			problems = append(problems, fmt.Sprintf("%s %d for %d requests", t.want, got, res.Requests))
		}
		for k, v := range d {
			if k != t.want {
				problems = append(problems, fmt.Sprintf("%s %d", k, v))
			}
		}
	}
	if len(problems) > 0 {
		key := t.name + " (" + strconv.Itoa(conns) + " conns)"
		m.rep.Checks[key] = append(m.rep.Checks[key], problems...)
		m.progress("  check: %v", problems)
	}
	return res, nil
}
