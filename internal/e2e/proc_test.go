package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/child"
)

// startTimeout bounds a process's start, up to its "listening" line. Long
// enough for a -race binary on a busy two-core machine.
const startTimeout = 20 * time.Second

// proc is a child process whose output (stdout and stderr) is kept for the
// test's failure messages.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, once done

	mu    sync.Mutex
	lines []string
	found chan string // receives the first line matching want
	want  *regexp.Regexp
}

// startProc starts bin and returns once a line of its output matches ready,
// with that line. The process is killed when the test ends.
func startProc(t *testing.T, name string, ready *regexp.Regexp, env []string, bin string, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(bin, args...), done: make(chan struct{}), found: make(chan string, 1), want: ready}
	p.cmd.Env = append(child.CleanEnv(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	w.Close() // the child holds its own copy
	go p.read(r)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.output())
		}
	})
	select {
	case line := <-p.found:
		return p, line
	case <-p.done:
		t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, p.output())
	case <-time.After(startTimeout):
		t.Fatalf("%s not ready after %s:\n%s", name, startTimeout, p.output())
	}
	return nil, ""
}

func (p *proc) read(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.mu.Unlock()
		if p.want != nil && p.want.MatchString(line) {
			p.want = nil
			p.found <- line
		}
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// signal sends sig and waits, up to timeout, for the exit; it returns the
// exit code.
func (p *proc) signal(sig syscall.Signal, timeout time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signalling %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s still running %s after %v", p.name, timeout, sig)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	return 0
}

var (
	proxyReady    = regexp.MustCompile(`"msg":"listening"`)
	orderappReady = regexp.MustCompile(`msg="orderapp listening" addr=(\S+)`)
)

// orderapp starts cmd/orderapp on a free port and returns its base URL.
func startOrderapp(t *testing.T, args ...string) string {
	t.Helper()
	_, line := startProc(t, "orderapp", orderappReady, nil, orderappBin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	return "http://" + orderappReady.FindStringSubmatch(line)[1]
}

// proxy is a running idemproxy.
type proxy struct {
	*proc
	url, admin string // base URLs
}

// startProxy starts idemproxy on free ports with the repository's
// config.yaml, env (KEY=value) and args.
func startProxy(t *testing.T, env []string, args ...string) *proxy {
	t.Helper()
	base := []string{"-config", "../../config.yaml", "-listen", "127.0.0.1:0", "-admin-listen", "127.0.0.1:0"}
	p, line := startProc(t, "idemproxy", proxyReady, env, idemproxyBin, append(base, args...)...)
	var l struct {
		Addr      string `json:"addr"`
		AdminAddr string `json:"admin_addr"`
	}
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Addr == "" || l.AdminAddr == "" {
		t.Fatalf("listening line %q: want addr and admin_addr (%v)", line, err)
	}
	return &proxy{proc: p, url: "http://" + l.Addr, admin: "http://" + l.AdminAddr}
}
