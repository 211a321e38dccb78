package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/child"
)

// startTimeout bounds a process's start, up to its ready line: long enough
// for a -race binary on a busy two-core machine.
const startTimeout = 30 * time.Second

// proc is a child process whose output (stdout and stderr) is kept, for
// ready lines and for the test's failure messages.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, once done

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
}

// spawn starts bin with child.Start, so it dies with the test binary. The
// process is killed when the test ends, and its output logged if the test
// failed.
func spawn(t *testing.T, name string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(bin, args...), done: make(chan struct{}), changed: make(chan struct{})}
	p.cmd.Env = child.CleanEnv()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := child.Start(p.cmd); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	w.Close() // the child holds its own copy
	read := make(chan struct{})
	go func() { defer close(read); p.read(r) }()
	go func() {
		p.err = p.cmd.Wait()
		<-read // every line is in before done says so
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.tail(200))
		}
	})
	return p
}

func (p *proc) read(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

// waitLine returns the first line of output matching re, waiting up to
// timeout for it; ok is false when the process exited or the time ran out.
func (p *proc) waitLine(re *regexp.Regexp, timeout time.Duration) (line string, ok bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.lines); seen++ {
			if re.MatchString(p.lines[seen]) {
				line = p.lines[seen]
				p.mu.Unlock()
				return line, true
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			// Lines read before the exit are all in: one last look.
			p.mu.Lock()
			defer p.mu.Unlock()
			for ; seen < len(p.lines); seen++ {
				if re.MatchString(p.lines[seen]) {
					return p.lines[seen], true
				}
			}
			return "", false
		case <-deadline.C:
			return "", false
		}
	}
}

// mustLine is waitLine failing the test.
func (p *proc) mustLine(re *regexp.Regexp, timeout time.Duration) string {
	p.t.Helper()
	line, ok := p.waitLine(re, timeout)
	if !ok {
		select {
		case <-p.done:
			p.t.Fatalf("%s exited (%v) before a line matching %q:\n%s", p.name, p.err, re, p.tail(50))
		default:
			p.t.Fatalf("%s: no line matching %q within %v:\n%s", p.name, re, timeout, p.tail(50))
		}
	}
	return line
}

// output returns everything the process wrote so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// tail returns the last n lines of output.
func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}

// kill9 kills the process as a crash would (SIGKILL) and waits for it.
func (p *proc) kill9() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s still running 10s after SIGKILL", p.name)
	}
}

// exitCode waits up to timeout for the process to exit on its own and
// returns its exit status.
func (p *proc) exitCode(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s still running after %v, want it to exit:\n%s", p.name, timeout, p.tail(50))
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	return 0
}

// memory reads the process's resident set now (VmRSS) and at its peak
// (VmHWM), in bytes, from /proc/<pid>/status.
func (p *proc) memory() (rss, peak int64) {
	p.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		p.t.Fatalf("reading %s's memory: %v", p.name, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			p.t.Fatalf("%s: %q: %v", p.name, line, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
