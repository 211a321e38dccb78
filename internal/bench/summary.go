package bench

import (
	"fmt"
	"time"
)

// The targets (issue 11), which the report's first block checks.
const (
	targetFirst       = 0.75 // first request ×plain, median of the rounds
	targetFirstWorst  = 0.65 // ... and in the worst round
	targetPass        = 0.97
	targetReplay      = 3.5
	targetSlow        = 0.95                   // 2 ms upstream, first request ×plain
	targetSlowAdded   = 300 * time.Microsecond // 2 ms upstream, p50 added
	targetBig         = 0.4                    // 1 MiB bodies, first ×plain
	targetBigRSS      = 100 << 20              // peak RSS of the 1 MiB run
	targetSlack       = 50 * time.Microsecond  // unloaded p50 added ≤ 2 claims + this
	targetRecordBytes = 400                    // MEMORY USAGE of a completed record
)

// Check is one line of the summary: a measured value against its target.
type Check struct {
	Name string
	// Got is the measured value, Want the bound, both in Unit.
	Got, Want float64
	Unit      unit
	// AtMost: Want is an upper bound; otherwise a lower one.
	AtMost bool
	// WantNote, when set, says how Want was derived.
	WantNote string
	// NoTarget: reported only, nothing to meet.
	NoTarget bool
	// Measured is false when the run has no data for it (a row without
	// results): neither met nor missed.
	Measured bool
}

type unit int

const (
	unitTimes unit = iota // a ratio
	unitMicros
	unitMiB
	unitBytes
)

// Verdict is "met", "missed", "report only" or "no data".
func (c Check) Verdict() string {
	switch {
	case !c.Measured:
		return "no data"
	case c.NoTarget:
		return "report only"
	case c.AtMost && c.Got <= c.Want, !c.AtMost && c.Got >= c.Want:
		return "met"
	}
	return "missed"
}

func (u unit) format(v float64) string {
	switch u {
	case unitMicros:
		return fmt.Sprintf("%.0f µs", v)
	case unitMiB:
		return fmt.Sprintf("%.1f MiB", v)
	case unitBytes:
		return fmt.Sprintf("%.0f bytes", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// GotString and WantString are the summary's columns.
func (c Check) GotString() string {
	if !c.Measured {
		return "—"
	}
	return c.Unit.format(c.Got)
}

func (c Check) WantString() string {
	if c.NoTarget {
		return "—"
	}
	op := "≥ "
	if c.AtMost {
		op = "≤ "
	}
	if c.WantNote != "" {
		return op + c.WantNote + " = " + c.Unit.format(c.Want)
	}
	return op + c.Unit.format(c.Want)
}

// Summary checks the run against the targets, in the report's
// order. Ratios are medians over rounds of each round's ratio to its own
// plain proxy run (the 2 ms row's to the plain 2 ms row, the 1 MiB row's
// to the plain 1 MiB row); "added" is the row's p50 minus that plain p50,
// median over rounds.
func (r *Report) Summary() []Check {
	plain := r.Loaded[rowPlain]
	ratioCheck := func(name, row string, base []Result, want float64) Check {
		rs := r.Loaded[row]
		return Check{Name: name, Got: ratio(rs, base, rps), Want: want, Measured: paired(rs, base, rps) > 0}
	}
	first := ratioCheck("first request ×plain (median of rounds)", rowFirst, plain, targetFirst)
	worst := ratioCheck("first request ×plain, worst round", rowFirst, plain, targetFirstWorst)
	worst.Got = minRatio(r.Loaded[rowFirst], plain, rps)

	slowPlain := r.Loaded[rowSlowPln]
	slowAdded := Check{Name: "2 ms upstream: first request p50 added", Unit: unitMicros, AtMost: true,
		Got: added(r.Loaded[rowSlow], slowPlain) / 1e3, Want: float64(targetSlowAdded) / 1e3,
		Measured: paired(r.Loaded[rowSlow], slowPlain, p50) > 0}

	bigRSS := Check{Name: "1 MiB run: idemproxy peak RSS", Unit: unitMiB, AtMost: true,
		Got: float64(r.BigPeakRSS) / (1 << 20), Want: float64(targetBigRSS) / (1 << 20), Measured: r.BigPeakRSS > 0}

	claim := float64(r.RTT.ClaimHot.P50) / 1e3
	unloaded := Check{Name: "unloaded first request p50 added", Unit: unitMicros, AtMost: true,
		Got:      added(r.Unloaded[rowFirst], r.Unloaded[rowPlain]) / 1e3,
		Want:     2*claim + float64(targetSlack)/1e3,
		WantNote: fmt.Sprintf("2 × hot claim p50 %.0f µs + %.0f µs", claim, float64(targetSlack)/1e3),
		Measured: r.RTT.ClaimHot.N > 0 && paired(r.Unloaded[rowFirst], r.Unloaded[rowPlain], p50) > 0}

	record := Check{Name: "Redis MEMORY USAGE of a completed record", Unit: unitBytes, AtMost: true,
		Got: float64(r.Record.Median), Want: targetRecordBytes, Measured: len(r.Record.Samples) > 0}

	cluster := ratioCheck("3-master Cluster: first request ×plain", rowCluster, plain, 0)
	cluster.NoTarget = true

	return []Check{
		first, worst,
		ratioCheck("pass-through ×plain", rowPass, plain, targetPass),
		ratioCheck("replay ×plain", rowReplay, plain, targetReplay),
		ratioCheck("2 ms upstream: first request ×plain", rowSlow, slowPlain, targetSlow),
		slowAdded,
		ratioCheck("1 MiB request + 1 MiB response: first ×plain", rowBig, r.Loaded[rowBigPln], targetBig),
		bigRSS,
		unloaded,
		record,
		cluster,
	}
}

// paired is the number of rounds with both a result of rs and one of
// base with f(base) > 0: the rounds a ratio or a difference is made of.
func paired(rs, base []Result, f func(Result) float64) int {
	n := 0
	for i := range min(len(rs), len(base)) {
		if f(base[i]) > 0 {
			n++
		}
	}
	return n
}

// minRatio is the smallest of the rounds' f(rs[i]) / f(base[i]) (0 with
// no round).
func minRatio(rs, base []Result, f func(Result) float64) float64 {
	var least float64
	seen := false
	for i := range min(len(rs), len(base)) {
		if b := f(base[i]); b > 0 {
			if v := f(rs[i]) / b; !seen || v < least {
				least, seen = v, true
			}
		}
	}
	return least
}
