package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed wrk.lua
var wrkScript []byte

// Key modes of a Load.
const (
	NoKey     = "none"   // no Idempotency-Key
	SameKey   = "same"   // Key on every request: replays
	UniqueKey = "unique" // a new key per request: first requests
)

// Load is one wrk run: POST URL with Body, Conns keep-alive connections
// on one wrk thread, for Duration.
type Load struct {
	URL      string
	Mode     string
	Key      string // the key (SameKey) or the keys' prefix (UniqueKey)
	Body     string // or "rep:N" for N bytes
	Conns    int
	Duration time.Duration
}

// Result is what wrk measured. Latencies come from wrk's histogram (µs
// resolution; a closed loop, so not corrected for coordinated omission).
type Result struct {
	Requests           int64
	Elapsed            time.Duration
	RPS                float64
	P50, P90, P99, Max time.Duration
	// Errors are socket errors and timeouts; Non2xx responses with a
	// status outside 2xx and 3xx.
	Errors, Non2xx int64
	// CPU is the CPU time each process spent during the run, by name
	// ("wrk", and the harness's children).
	CPU map[string]time.Duration
	// Scripts are the Redis scripts run during the run and the time Redis
	// spent executing them.
	Scripts ScriptStats
}

// Wrk runs the wrk binary with the embedded script.
type Wrk struct {
	Bin, Script, Version string
}

// FindWrk finds wrk on PATH and writes the script into dir.
func FindWrk(dir string) (*Wrk, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return nil, errors.New("wrk not found on PATH: install the Debian package wrk (apt-get install wrk)")
	}
	script := filepath.Join(dir, "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o644); err != nil {
		return nil, err
	}
	w := &Wrk{Bin: bin, Script: script}
	out, _ := exec.Command(bin, "-v").CombinedOutput() // exits 1 after printing
	if first, _, _ := strings.Cut(string(out), "\n"); strings.HasPrefix(first, "wrk ") {
		first, _, _ = strings.Cut(first, " Copyright")
		w.Version = strings.TrimSpace(first)
	}
	return w, nil
}

// Run runs one load and returns wrk's measurements.
func (w *Wrk) Run(ctx context.Context, l Load) (Result, error) {
	secs := max(1, int((l.Duration+time.Second/2)/time.Second))
	args := []string{"-t1", "-c" + strconv.Itoa(l.Conns), "-d" + strconv.Itoa(secs) + "s", "--timeout", "10s",
		"-s", w.Script, l.URL, "--", l.Mode, l.Key, l.Body}
	cmd := exec.CommandContext(ctx, w.Bin, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("wrk %s: %w: %s", l.URL, err, stderr.String())
	}
	var line string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(l, "IDEMBENCH "); ok {
			line = rest
		}
	}
	var v struct {
		Requests   int64 `json:"requests"`
		DurationUS int64 `json:"duration_us"`
		Connect    int64 `json:"connect"`
		Read       int64 `json:"read"`
		Write      int64 `json:"write"`
		Status     int64 `json:"status"`
		Timeout    int64 `json:"timeout"`
		P50US      int64 `json:"p50_us"`
		P90US      int64 `json:"p90_us"`
		P99US      int64 `json:"p99_us"`
		MaxUS      int64 `json:"max_us"`
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		return Result{}, fmt.Errorf("wrk %s: no result line in its output (%v):\n%s%s", l.URL, err, out.String(), stderr.String())
	}
	us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
	r := Result{
		Requests: v.Requests, Elapsed: us(v.DurationUS),
		P50: us(v.P50US), P90: us(v.P90US), P99: us(v.P99US), Max: us(v.MaxUS),
		Errors: v.Connect + v.Read + v.Write + v.Timeout, Non2xx: v.Status,
	}
	r.CPU = map[string]time.Duration{"wrk": cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if r.Elapsed > 0 {
		r.RPS = float64(r.Requests) / r.Elapsed.Seconds()
	}
	return r, nil
}
