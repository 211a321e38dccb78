package redistest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/child"
)

// missingMessage is the failure of every start when a binary is absent; it
// names the Debian packages because that is what a developer or CI installs.
const missingMessage = "redis-server not found on PATH: install the Debian package redis-server (and redis-tools for redis-cli)"

// startTimeout bounds how long a server (or a cluster) may take to become
// ready. It is a deadline for polling a real condition, never a delay.
const startTimeout = 20 * time.Second

// pollEvery is the period at which readiness conditions are polled.
const pollEvery = 10 * time.Millisecond

// serverBinary returns the path of redis-server.
func serverBinary() (string, error) {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New(missingMessage)
	}
	return server, nil
}

// cliBinary returns the path of redis-cli, which only a cluster's creation
// needs.
func cliBinary() (string, error) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return "", errors.New("redis-cli not found on PATH: install the Debian package redis-tools")
	}
	return cli, nil
}

// requireBinaries fails tb with missingMessage when redis-server is absent,
// and when redis-cli is too if cli is set.
func requireBinaries(tb testing.TB, cli bool) {
	tb.Helper()
	if _, err := serverBinary(); err != nil {
		tb.Fatal(err)
	}
	if _, err := cliBinary(); cli && err != nil {
		tb.Fatal(err)
	}
}

// freePorts asks the operating system for n distinct free loopback ports.
// The listeners are held until all ports are known, so they differ; a
// process may still take one before redis-server binds it, which
// startServer detects (the server exits with "Address already in use",
// and the one answering on the port is not it) and retries.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("redistest: pick a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// proc is one running redis-server process.
type proc struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	logPath string
	// logStart is the log's size when the process started: a restart
	// appends to the log, and only this process's lines count.
	logStart int64
}

// launch starts redis-server with the config file conf (plus args), its
// output appended to logPath.
func launch(conf, logPath string, args ...string) (*proc, error) {
	server, err := serverBinary()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	var logStart int64
	if fi, err := logFile.Stat(); err == nil {
		logStart = fi.Size()
	}
	cmd := exec.Command(server, append([]string{conf}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := child.Start(cmd); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("redistest: start redis-server: %w", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{}), logPath: logPath, logStart: logStart}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// kill stops the process at once (SIGKILL: a crash, not a shutdown) and
// waits until it has exited.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// log returns what the process wrote to its log.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	if int64(len(b)) < p.logStart {
		return ""
	}
	return string(b[p.logStart:])
}

// logTail returns the end of the process's log, for failure messages.
func (p *proc) logTail() string {
	l := p.log()
	if len(l) > 2000 {
		l = l[len(l)-2000:]
	}
	return l
}

// addrInUse reports whether the process exited because its port was taken.
func (p *proc) addrInUse() bool {
	return strings.Contains(p.log(), "Address already in use")
}

// errExited reports a server that exited while starting.
var errExited = errors.New("redistest: redis-server exited while starting")

// waitPong polls addr until the process answers PING with PONG (a server
// loading its AOF answers -LOADING first), the process exits, or
// startTimeout passes. An answer from another process (one that held the
// port before this one could bind it) does not count: the process must be
// the one answering, told by INFO server's process_id, or, where INFO is
// refused (the default user is off), by its log saying it listens.
func (p *proc) waitPong(network, addr string, tlsConf *tls.Config) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		err := p.ping(network, addr, tlsConf)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w; log:\n%s", errExited, p.logTail())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: %s not ready after %v: %v; log:\n%s", addr, startTimeout, err, p.logTail())
		}
	}
}

// ping sends an inline PING and INFO server on a fresh connection (over
// TLS when tlsConf is set), and checks that p answers, not another process
// on the same address. It speaks the
// protocol by hand so that a server not yet listening does not make a
// client library log dial errors.
func (p *proc) ping(network, addr string, tlsConf *tls.Config) error {
	var conn net.Conn
	var err error
	d := &net.Dialer{Timeout: time.Second}
	if tlsConf != nil {
		conn, err = tls.DialWithDialer(d, network, addr, tlsConf)
	} else {
		conn, err = d.Dial(network, addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\nINFO server\r\n")); err != nil {
		return err
	}
	rd := bufio.NewReader(conn)
	line, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	// NOAUTH: up, but the default user is off (a test of ACL users).
	noauth := strings.HasPrefix(line, "-NOAUTH")
	if line != "+PONG\r\n" && !noauth {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	info, err := "", errRefused
	if !noauth {
		info, err = readBulk(rd)
	}
	if errors.Is(err, errRefused) {
		// INFO refused (NOAUTH, or renamed away by a test): then the
		// process must have logged that it listens, which it does only
		// once it has bound the port.
		if !strings.Contains(p.log(), "Ready to accept connections") {
			return errors.New("INFO refused, and the process has not logged that it listens")
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("INFO server: %w", err)
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "process_id:"); ok {
			if v != strconv.Itoa(p.cmd.Process.Pid) {
				return fmt.Errorf("%s is answered by process %s, not by %d", addr, v, p.cmd.Process.Pid)
			}
			return nil
		}
	}
	return errors.New("INFO server has no process_id")
}

// errRefused reports an error reply.
var errRefused = errors.New("refused")

// readBulk reads one RESP bulk string; errRefused for an error reply.
func readBulk(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(line, "-") {
		return "", fmt.Errorf("%w: %s", errRefused, strings.TrimSpace(line))
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
	if !strings.HasPrefix(line, "$") || err != nil || n < 0 {
		return "", fmt.Errorf("answered %q", strings.TrimSpace(line))
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(rd, b); err != nil {
		return "", err
	}
	return string(b[:n]), nil
}

// writeConf writes a redis.conf of directive lines into dir.
func writeConf(dir, name string, lines []string) (string, error) {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("redistest: %w", err)
	}
	return path, nil
}

// loopback returns 127.0.0.1:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
