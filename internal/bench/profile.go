package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProfileOptions configure Profile.
type ProfileOptions struct {
	// Self is idembench's own binary; Out the directory the profiles go to.
	Self, Out string
	// Conns are wrk's connections; Duration the length of each run.
	Conns    int
	Duration time.Duration
	// Progress receives a line per run. Default: io.Discard.
	Progress io.Writer
}

// DefaultProfileDuration is each profiled run's length; the profiles cover
// all of it but the first and last second.
const DefaultProfileDuration = 10 * time.Second

// Profile runs the plain proxy and the profiling build of idemproxy
// (idembench idem: IdemHandler with net/http/pprof) under the benchmark's
// loads and writes, per target, a CPU profile and an allocation profile
// (the allocations made during the run) into o.Out:
// <target>.cpu.pb.gz and <target>.allocs.pb.gz (plain, first, replay, pass,
// json, and big-plain, big-first, big-replay for the 1 MiB bodies). It prints each run's wrk
// result on stdout, to compare with the product binary's in `make bench`.
func Profile(ctx context.Context, o ProfileOptions, stdout io.Writer) error {
	setDefault(&o.Conns, DefaultConns)
	setDefault(&o.Duration, DefaultProfileDuration)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Duration < 3*time.Second {
		return fmt.Errorf("profile: -duration %v: want at least 3s", o.Duration)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "idembench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e := &env{dir: dir, config: filepath.Join(dir, "config.yaml")}
	defer e.stop()
	if err := os.WriteFile(e.config, configYAML, 0o644); err != nil {
		return err
	}
	if e.wrk, err = FindWrk(dir); err != nil {
		return err
	}
	if e.redis, err = StartRedis(dir); err != nil {
		return err
	}
	if e.upstream, err = startBench(o.Self, "upstream"); err != nil {
		return err
	}
	if e.plain, err = startBench(o.Self, "plain", "-config", e.config, "-upstream", e.upstream.URL, "-admin", "127.0.0.1:0"); err != nil {
		return err
	}
	if e.idem, err = startBench(o.Self, "idem", "-config", e.config, "-upstream", e.upstream.URL, "-redis", e.redis.URL(), "-admin", "127.0.0.1:0"); err != nil {
		return err
	}
	run := rand.Text()[:8]
	if err := prime(ctx, e.idem.URL+"/orders", "replay-"+run, OrderBody); err != nil {
		return err
	}
	names := map[string]string{rowPlain: "plain", rowFirst: "first", rowReplay: "replay", rowPass: "pass", rowJSON: "json",
		rowBigPln: "big-plain", rowBig: "big-first", rowBigRep: "big-replay"}
	for i, t := range append(slices.Clone(targets), bigTargets...) {
		name, ok := names[t.name]
		if !ok {
			continue
		}
		srv := e.idem
		if t.name == rowPlain || t.name == rowBigPln {
			srv = e.plain
		}
		l := t.load(e, run)
		l.Conns, l.Duration = o.Conns, o.Duration
		if strings.HasPrefix(name, "big-") {
			l.Conns = DefaultBigConns
		}
		if l.Mode == UniqueKey {
			l.Key += "-p" + strconv.Itoa(i)
		}
		if t.name == rowBigRep { // its record lives for the blob route's short ttl
			if err := prime(ctx, e.idem.URL+"/blob?size=1048576", l.Key, expandBody(l.Body)); err != nil {
				return err
			}
		}
		fmt.Fprintf(o.Progress, "profiling %s, %d connections, %s\n", t.name, l.Conns, o.Duration)
		res, err := profileRun(ctx, e.wrk, l, srv.Admin, filepath.Join(o.Out, name))
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		fmt.Fprintf(stdout, "%-50s %8.0f req/s  p50 %s  p99 %s  (%d errors, %d non-2xx)\n",
			t.name+" (profiling build)", res.RPS, us(float64(res.P50)), us(float64(res.P99)), res.Errors, res.Non2xx)
	}
	fmt.Fprintf(stdout, "profiles in %s: go tool pprof -top <file>\n", o.Out)
	return nil
}

// profileRun runs l while taking a CPU and an allocation profile over its
// middle (all but its first and last second), saved as prefix.cpu.pb.gz and
// prefix.allocs.pb.gz.
func profileRun(ctx context.Context, w *Wrk, l Load, admin, prefix string) (Result, error) {
	type wrkDone struct {
		res Result
		err error
	}
	done := make(chan wrkDone, 1)
	go func() {
		res, err := w.Run(ctx, l)
		done <- wrkDone{res, err}
	}()
	select {
	case <-time.After(time.Second):
	case d := <-done:
		return d.res, fmt.Errorf("wrk ended early: %v", d.err)
	}
	secs := strconv.Itoa(int(l.Duration/time.Second) - 2)
	errs := make(chan error, 2)
	go func() { errs <- fetch(ctx, admin+"/debug/pprof/profile?seconds="+secs, prefix+".cpu.pb.gz") }()
	go func() { errs <- fetch(ctx, admin+"/debug/pprof/allocs?seconds="+secs, prefix+".allocs.pb.gz") }()
	var first error
	for range 2 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	d := <-done
	if d.err != nil {
		return d.res, d.err
	}
	return d.res, first
}

func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
