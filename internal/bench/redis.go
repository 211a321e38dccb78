package bench

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

// Redis is the benchmark's own redis-server, on a free loopback port (never
// 6379), without persistence: --save ” --appendonly no. The numbers are
// then the proxy's, not the disk's; the README's production setting
// (appendonly yes) adds an fsync policy's cost to every write.
type Redis struct {
	*Proc
	Addr    string
	Version string
}

var redisReady = regexp.MustCompile(`Ready to accept connections`)

// StartRedis starts redis-server with its data directory in dir.
func StartRedis(dir string) (*Redis, error) { return startRedis(dir, "redis-server", nil) }

// startRedis starts a redis-server named name; extra, when set, returns
// more arguments for each attempt (a cluster node's, with a free bus port).
func startRedis(dir, name string, extra func() ([]string, error)) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found on PATH: install the Debian package redis-server")
	}
	var lastErr error
	for range 3 { // a free port may be taken before redis-server binds it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--loglevel", "notice"}
		if extra != nil {
			more, err := extra()
			if err != nil {
				return nil, err
			}
			args = append(args, more...)
		}
		p, _, err := StartProc(name, redisReady, nil, bin, args...)
		if err != nil {
			lastErr = err
			continue
		}
		r := &Redis{Proc: p, Addr: "127.0.0.1:" + strconv.Itoa(port)}
		if out, err := exec.Command(bin, "--version").Output(); err == nil {
			r.Version = strings.TrimSpace(string(out))
		}
		return r, nil
	}
	return nil, lastErr
}

// URL is the server's redis:// URL.
func (r *Redis) URL() string { return "redis://" + r.Addr }

// Flush empties the benchmark's own server (FLUSHALL is only ever sent to
// a server the harness started).
func (r *Redis) Flush(ctx context.Context) error {
	opts, err := redisstore.ParseURL(r.URL())
	if err != nil {
		return err
	}
	c := redisstore.NewClient(opts)
	defer c.Close()
	return c.FlushAll(ctx).Err()
}

// UsedMemoryPeak is the server's used_memory_peak, in bytes.
func (r *Redis) UsedMemoryPeak(ctx context.Context) (int64, error) {
	return r.memoryInfo(ctx, "used_memory_peak")
}

// UsedMemory is the server's used_memory, in bytes.
func (r *Redis) UsedMemory(ctx context.Context) (int64, error) {
	return r.memoryInfo(ctx, "used_memory")
}

// memoryInfo reads one field of INFO memory.
func (r *Redis) memoryInfo(ctx context.Context, field string) (int64, error) {
	opts, err := redisstore.ParseURL(r.URL())
	if err != nil {
		return 0, err
	}
	c := redisstore.NewClient(opts)
	defer c.Close()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO memory", field)
}

// ScriptStats are the server's counts of script runs (EVALSHA and EVAL)
// and the time it spent executing them, from INFO commandstats: the
// server's own work for a script, without reading the command or writing
// the reply.
type ScriptStats struct {
	Calls int64
	Usec  int64
}

// Scripts reads ScriptStats.
func (r *Redis) Scripts(ctx context.Context) (ScriptStats, error) {
	opts, err := redisstore.ParseURL(r.URL())
	if err != nil {
		return ScriptStats{}, err
	}
	c := redisstore.NewClient(opts)
	defer c.Close()
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return ScriptStats{}, err
	}
	var st ScriptStats
	for line := range strings.SplitSeq(info, "\r\n") {
		rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:")
		if !ok {
			rest, ok = strings.CutPrefix(line, "cmdstat_eval:")
		}
		if !ok {
			continue
		}
		for kv := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				st.Calls += n
			case "usec":
				st.Usec += n
			}
		}
	}
	return st, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
