package redistest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// missingMessage is the failure of every start when a binary is absent; it
// names the Debian packages because that is what a developer or CI installs.
const missingMessage = "redis-server not found on PATH: install the Debian package redis-server (and redis-tools for redis-cli)"

// startTimeout bounds how long a server (or a cluster) may take to become
// ready. It is a deadline for polling a real condition, never a delay.
const startTimeout = 20 * time.Second

// pollEvery is the period at which readiness conditions are polled.
const pollEvery = 10 * time.Millisecond

// binaries returns the paths of redis-server and redis-cli.
func binaries() (server, cli string, err error) {
	server, err = exec.LookPath("redis-server")
	if err != nil {
		return "", "", errors.New(missingMessage)
	}
	cli, err = exec.LookPath("redis-cli")
	if err != nil {
		return "", "", errors.New("redis-cli not found on PATH: install the Debian package redis-tools")
	}
	return server, cli, nil
}

// requireBinaries fails tb with missingMessage when a binary is absent.
func requireBinaries(tb testing.TB) {
	tb.Helper()
	if _, _, err := binaries(); err != nil {
		tb.Fatal(err)
	}
}

// freePorts asks the operating system for n distinct free loopback ports.
// The listeners are held until all ports are known, so they differ; a
// process may still take one before redis-server binds it, which
// launchServer detects and retries.
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
}

// launch starts redis-server with the config file conf (plus args), its
// output appended to logPath.
func launch(conf, logPath string, args ...string) (*proc, error) {
	server, _, err := binaries()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	cmd := exec.Command(server, append([]string{conf}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := startCmd(cmd); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("redistest: start redis-server: %w", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{}), logPath: logPath}
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

// logTail returns the end of the process's log, for failure messages.
func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// addrInUse reports whether the process exited because its port was taken.
func (p *proc) addrInUse() bool {
	return strings.Contains(p.logTail(), "Address already in use")
}

// errExited reports a server that exited while starting.
var errExited = errors.New("redistest: redis-server exited while starting")

// waitPong polls addr until it answers PING with PONG (a server loading
// its AOF answers -LOADING first), the process exits, or startTimeout
// passes.
func (p *proc) waitPong(network, addr string, tlsConf *tls.Config) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if ping(network, addr, tlsConf) == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w; log:\n%s", errExited, p.logTail())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			err := ping(network, addr, tlsConf)
			if err == nil {
				return nil
			}
			return fmt.Errorf("redistest: %s not ready after %v: %v; log:\n%s", addr, startTimeout, err, p.logTail())
		}
	}
}

// ping sends one inline PING on a fresh connection (over TLS when tlsConf
// is set). It speaks the protocol by hand so that a server not yet
// listening does not make a client library log dial errors.
func ping(network, addr string, tlsConf *tls.Config) error {
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
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	// NOAUTH: up, but the default user is off (a test of ACL users).
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
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
