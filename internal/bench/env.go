package bench

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed config.yaml
var configYAML []byte

// OrderBody is the request body of the small-body targets: orderapp's
// POST /orders.
const OrderBody = `{"customer_id":"c-1","payment_token":"tok_visa","lines":[{"sku":"SKU-1","quantity":2,"unit_price":"12.50"}]}`

var (
	benchReady = regexp.MustCompile(`^idembench listening addr=(\S+) admin=(\S+)`)
	idemReady  = regexp.MustCompile(`"msg":"listening"`)
)

// server is a running child that serves HTTP.
type server struct {
	*Proc
	URL   string // base URL
	Admin string // admin base URL, or ""
}

// startBench starts one of idembench's own servers (upstream, plain, idem).
func startBench(self, sub string, args ...string) (*server, error) {
	name := sub
	if sub == "idem" {
		name = "idemproxy" // the profiling build stands in for it
	}
	p, line, err := StartProc(name, benchReady, nil, self, append([]string{sub}, args...)...)
	if err != nil {
		return nil, err
	}
	m := benchReady.FindStringSubmatch(line)
	s := &server{Proc: p, URL: "http://" + m[1]}
	if m[2] != "-" {
		s.Admin = "http://" + m[2]
	}
	return s, nil
}

// startIdemproxy starts the idemproxy binary on free ports.
func startIdemproxy(bin, config, upstream, redisURL string) (*server, error) {
	p, line, err := StartProc("idemproxy", idemReady, nil, bin, "-config", config,
		"-listen", "127.0.0.1:0", "-admin-listen", "127.0.0.1:0", "-upstream", upstream, "-redis", redisURL)
	if err != nil {
		return nil, err
	}
	var l struct {
		Addr      string `json:"addr"`
		AdminAddr string `json:"admin_addr"`
	}
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Addr == "" || l.AdminAddr == "" {
		p.Stop()
		return nil, fmt.Errorf("idemproxy's listening line %q: want addr and admin_addr (%v)", line, err)
	}
	return &server{Proc: p, URL: "http://" + l.Addr, Admin: "http://" + l.AdminAddr}, nil
}

// env is the benchmark's processes: redis-server, the upstream, the plain
// proxy and idemproxy, and a Redis Cluster with a second idemproxy on it,
// all on loopback.
type env struct {
	dir, config string
	redis       *Redis
	// redisBaseUsed is the empty server's used_memory, subtracted from the
	// full one's for the memory per key.
	redisBaseUsed int64
	upstream      *server
	plain         *server
	idem          *server
	// cluster and idemCluster serve the Cluster row; nil once stopped.
	cluster     *Cluster
	idemCluster *server
	wrk         *Wrk
}

func startEnv(ctx context.Context, dir string, o Options) (_ *env, err error) {
	e := &env{dir: dir, config: filepath.Join(dir, "config.yaml")}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	if err := os.WriteFile(e.config, configYAML, 0o644); err != nil {
		return nil, err
	}
	if e.wrk, err = FindWrk(dir); err != nil {
		return nil, err
	}
	if e.redis, err = StartRedis(dir); err != nil {
		return nil, err
	}
	if e.redisBaseUsed, err = e.redis.UsedMemory(ctx); err != nil {
		return nil, err
	}
	if e.upstream, err = startBench(o.Self, "upstream"); err != nil {
		return nil, err
	}
	if e.plain, err = startBench(o.Self, "plain", "-config", e.config, "-upstream", e.upstream.URL); err != nil {
		return nil, err
	}
	if e.idem, err = e.startIdem(o); err != nil {
		return nil, err
	}
	if e.cluster, err = StartCluster(ctx, dir); err != nil {
		return nil, err
	}
	// The same binary and file; only -redis names the cluster.
	if e.idemCluster, err = startIdemproxy(o.Idemproxy, e.config, e.upstream.URL, e.cluster.URL()); err != nil {
		return nil, err
	}
	return e, nil
}

// startIdem starts the idemproxy binary under test.
func (e *env) startIdem(o Options) (*server, error) {
	return startIdemproxy(o.Idemproxy, e.config, e.upstream.URL, e.redis.URL())
}

func (e *env) stop() {
	e.stopCluster()
	for _, p := range []*server{e.idem, e.plain, e.upstream} {
		if p != nil {
			p.Stop()
		}
	}
	if e.redis != nil {
		e.redis.Stop()
	}
}

// stopCluster stops the Cluster row's processes once its runs are done, so
// that they take no memory or CPU from the 1 MiB runs.
func (e *env) stopCluster() {
	if e.idemCluster != nil {
		e.idemCluster.Stop()
		e.idemCluster = nil
	}
	if e.cluster != nil {
		e.cluster.Stop()
		e.cluster = nil
	}
}

// procs are the running children, for alive.
func (e *env) procs() []*Proc {
	ps := []*Proc{e.idem.Proc, e.plain.Proc, e.upstream.Proc, e.redis.Proc}
	if e.idemCluster != nil {
		ps = append(ps, e.idemCluster.Proc)
	}
	if e.cluster != nil {
		for _, n := range e.cluster.Nodes {
			ps = append(ps, n.Proc)
		}
	}
	return ps
}

// accountedProc is a child whose CPU time a run accounts, under the
// report's column for it (cpuColumns).
type accountedProc struct {
	column string
	*Proc
}

// accounted are the children whose CPU time t's runs account: the Cluster
// row's idemproxy and Redis are the cluster ones (its three nodes summed
// under redis-server), every other row's the standalone ones.
func (e *env) accounted(t target) []accountedProc {
	ps := []accountedProc{{"plain", e.plain.Proc}, {"upstream", e.upstream.Proc}}
	if !t.cluster {
		return append(ps, accountedProc{"idemproxy", e.idem.Proc}, accountedProc{"redis-server", e.redis.Proc})
	}
	ps = append(ps, accountedProc{"idemproxy", e.idemCluster.Proc})
	for _, n := range e.cluster.Nodes {
		ps = append(ps, accountedProc{"redis-server", n.Proc})
	}
	return ps
}

// scripts reads the script counters of t's Redis: the cluster's, summed,
// for the Cluster row.
func (e *env) scripts(ctx context.Context, t target) (ScriptStats, error) {
	if t.cluster {
		return e.cluster.Scripts(ctx)
	}
	return e.redis.Scripts(ctx)
}

// alive reports the first child that has exited.
func (e *env) alive() error {
	for _, p := range e.procs() {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited during the run (%v):\n%s", p.Name, err, p.Output())
		}
	}
	return nil
}

// post sends one request as wrk would and returns its status and whether
// it was a replay.
func post(ctx context.Context, url, key, body string) (status int, replayed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer bench-token")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", nil
}

// prime makes key's record (a first request), then checks that the key
// replays.
func prime(ctx context.Context, url, key, body string) error {
	for i, wantReplay := range []bool{false, true} {
		status, replayed, err := post(ctx, url, key, body)
		if err != nil {
			return err
		}
		if status != http.StatusCreated || replayed != wantReplay {
			return fmt.Errorf("POST %s (request %d of key %s): status %d, replayed %v; want 201, replayed %v", url, i+1, key, status, replayed, wantReplay)
		}
	}
	return nil
}

// checkTarget sends one request of l's shape and checks its status.
func checkTarget(ctx context.Context, l Load) error {
	key := ""
	switch l.Mode {
	case SameKey:
		key = l.Key
	case UniqueKey:
		key = l.Key + "-check"
	}
	status, _, err := post(ctx, l.URL, key, expandBody(l.Body))
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("POST %s: status %d, want 201", l.URL, status)
	}
	return nil
}

// expandBody is wrk.lua's body argument as bytes: "rep:N" is N bytes of x.
func expandBody(spec string) string {
	if n, ok := strings.CutPrefix(spec, "rep:"); ok {
		if size, err := strconv.Atoi(n); err == nil {
			return strings.Repeat("x", size)
		}
	}
	return spec
}

// settle waits for requests wrk left in flight to be counted.
func settle(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

// versionOf is bin -version's first line.
func versionOf(bin string) string {
	out, err := exec.Command(bin, "-version").Output()
	if err != nil {
		return bin + " (-version: " + err.Error() + ")"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return first
}

// gitDescribe names the working tree the binaries were built from.
func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	return strings.TrimSpace(string(out))
}

var errInterrupted = errors.New("interrupted")
