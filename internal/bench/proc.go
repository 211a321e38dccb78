package bench

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
	"time"

	"github.com/idemproxy/idemproxy/internal/child"
)

// startTimeout bounds a child's start, up to its ready line.
const startTimeout = 30 * time.Second

// Proc is a child process of the harness (redis-server, the upstream, a
// proxy). Its output is kept for error messages.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // Wait's result, once done

	mu    sync.Mutex
	lines []string
	want  *regexp.Regexp
	found chan string
}

// StartProc starts bin and returns once a line of its output matches ready,
// with that line. The child gets SIGKILL if the harness dies (Pdeathsig),
// so an interrupted run leaves nothing behind.
func StartProc(name string, ready *regexp.Regexp, env []string, bin string, args ...string) (*Proc, string, error) {
	p := &Proc{Name: name, cmd: exec.Command(bin, args...), done: make(chan struct{}), want: ready, found: make(chan string, 1)}
	p.cmd.Env = append(child.CleanEnv(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := child.Start(p.cmd); err != nil {
		r.Close()
		w.Close()
		return nil, "", fmt.Errorf("starting %s: %w", name, err)
	}
	w.Close() // the child holds its own copy
	go p.read(r)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	select {
	case line := <-p.found:
		return p, line, nil
	case <-p.done:
		return nil, "", fmt.Errorf("%s exited before it was ready: %v\n%s", name, p.err, p.Output())
	case <-time.After(startTimeout):
		p.Stop()
		return nil, "", fmt.Errorf("%s not ready after %s:\n%s", name, startTimeout, p.Output())
	}
}

func (p *Proc) read(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		if len(p.lines) < 1000 {
			p.lines = append(p.lines, line)
		}
		want := p.want
		if want != nil && want.MatchString(line) {
			p.want = nil
		}
		p.mu.Unlock()
		if want != nil && want.MatchString(line) {
			p.found <- line
		}
	}
}

// Output returns what the process printed (its first 1000 lines).
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to 5 s, then kills.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Exited reports whether the process has exited, with its error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// PeakRSS is the process's peak resident set size (VmHWM in
// /proc/<pid>/status), in bytes.
func (p *Proc) PeakRSS() (int64, error) { return statusBytes(p.Pid(), "VmHWM:") }

// RSS is the process's resident set size now (VmRSS).
func (p *Proc) RSS() (int64, error) { return statusBytes(p.Pid(), "VmRSS:") }

func statusBytes(pid int, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no " + field + " in /proc/" + strconv.Itoa(pid) + "/status")
}

// clockTick is the unit of /proc/<pid>/stat's CPU times: CLK_TCK, 100 on
// every Linux the harness runs on (getconf CLK_TCK).
const clockTick = 10 * time.Millisecond

// CPUTime is the CPU time, user and system, the process has used so far,
// at the kernel's 10 ms tick.
func (p *Proc) CPUTime() (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis, where field 3 (state) is index 0.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", p.Pid(), len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", p.Pid(), err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}
