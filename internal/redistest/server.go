package redistest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process started by the tests.
type Server struct {
	tb     testing.TB // nil for a server shared by Main
	cfg    config
	dir    string
	conf   string
	addr   string
	args   []string // extra command-line arguments (--sentinel)
	shared bool
	// sockDir is the unix socket's directory, removed by stop.
	sockDir string
	tls     *tlsFiles // nil unless WithTLS

	mu   sync.Mutex
	proc *proc // nil while killed
}

// config is what a server is started with; Options change it.
type config struct {
	unix      bool
	tls       bool
	aof       bool
	maxmemory string
	policy    string
	extra     [][2]string
	// firstPort, when set (by this package's tests only), is the port of
	// the first attempt instead of a free one.
	firstPort int
}

// Option changes how Start configures a server.
type Option func(*config)

// WithAOF turns on the append-only file with appendfsync always, so that a
// record acknowledged before Kill is there after Restart.
func WithAOF() Option { return func(c *config) { c.aof = true } }

// WithMaxmemory sets maxmemory (e.g. "64mb") and maxmemory-policy.
func WithMaxmemory(maxmemory, policy string) Option {
	return func(c *config) { c.maxmemory, c.policy = maxmemory, policy }
}

// WithUnixSocket makes the server listen on a unix socket only (no TCP
// port at all); Addr returns the socket's path.
func WithUnixSocket() Option { return func(c *config) { c.unix = true } }

// WithTLS makes the server speak TLS only, with a certificate for
// 127.0.0.1 from a CA made for the test; TLSConfig trusts that CA.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithConfig adds one redis.conf directive, e.g. WithConfig("requirepass",
// "secret").
func WithConfig(directive, value string) Option {
	return func(c *config) { c.extra = append(c.extra, [2]string{directive, value}) }
}

// Start starts a redis-server of its own for tb, and kills it when tb ends.
// It fails tb when the server cannot start (or redis-server is missing).
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	requireBinaries(tb, false)
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s, err := startServer(cfg, tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	s.tb = tb
	tb.Cleanup(s.stop)
	return s
}

// startServer starts a server with its data in dir and directives extra
// to cfg's (the cluster and sentinel setups add theirs). A port taken by
// another process between picking and binding is retried with a new one.
func startServer(cfg config, dir string, more func(port int) []string, args ...string) (*Server, error) {
	for attempt := 0; ; attempt++ {
		s, err := tryStart(cfg, dir, more, args)
		cfg.firstPort = 0
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			return nil, err
		}
	}
}

var errPortTaken = errors.New("redistest: port taken")

func tryStart(cfg config, dir string, more func(port int) []string, args []string) (*Server, error) {
	lines := []string{
		"bind 127.0.0.1",
		"protected-mode yes",
		"dir " + dir,
		`save ""`,
		"daemonize no",
		"logfile \"\"",
	}
	var (
		port          int
		addr, sockDir string
		tlsf          *tlsFiles
	)
	if cfg.tls {
		var err error
		if tlsf, err = makeTLS(dir); err != nil {
			return nil, fmt.Errorf("redistest: make TLS certificates: %w", err)
		}
		lines = append(lines, "tls-cert-file "+tlsf.certFile, "tls-key-file "+tlsf.keyFile,
			"tls-ca-cert-file "+tlsf.caFile, "tls-auth-clients no")
	}
	if cfg.unix {
		// The socket lives in a short directory of its own: a socket path
		// is limited to about 100 bytes, and test names make TempDir long.
		var err error
		if sockDir, err = os.MkdirTemp("", "redis"); err != nil {
			return nil, fmt.Errorf("redistest: %w", err)
		}
		addr = filepath.Join(sockDir, "redis.sock")
		lines = append(lines, "port 0", "unixsocket "+addr, "unixsocketperm 700")
	} else {
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		port = ports[0]
		if cfg.firstPort != 0 {
			port = cfg.firstPort
		}
		addr = loopback(port)
		if cfg.tls {
			lines = append(lines, "port 0", "tls-port "+strconv.Itoa(port))
		} else {
			lines = append(lines, "port "+strconv.Itoa(port))
		}
	}
	if cfg.aof {
		lines = append(lines, "appendonly yes", "appendfsync always")
	} else {
		lines = append(lines, "appendonly no")
	}
	if cfg.maxmemory != "" {
		lines = append(lines, "maxmemory "+cfg.maxmemory)
	}
	if cfg.policy != "" {
		lines = append(lines, "maxmemory-policy "+cfg.policy)
	}
	if more != nil {
		lines = append(lines, more(port)...)
	}
	for _, kv := range cfg.extra {
		lines = append(lines, kv[0]+" "+kv[1])
	}
	conf, err := writeConf(dir, "redis.conf", lines)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, dir: dir, conf: conf, addr: addr, args: args, sockDir: sockDir, tls: tlsf}
	// A fresh log, so that addrInUse reads this attempt's only.
	_ = os.Remove(filepath.Join(dir, "redis.log"))
	if err := s.launch(); err != nil {
		if sockDir != "" {
			os.RemoveAll(sockDir)
		}
		if s.proc != nil && s.proc.addrInUse() {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, err
	}
	return s, nil
}

// launch starts the process from s.conf and waits until it answers.
func (s *Server) launch() error {
	p, err := launch(s.conf, filepath.Join(s.dir, "redis.log"), s.args...)
	if err != nil {
		return err
	}
	s.proc = p
	var tlsConf *tls.Config
	if s.tls != nil {
		tlsConf = s.tls.clientTLS()
	}
	if err := p.waitPong(s.network(), s.Addr(), tlsConf); err != nil {
		p.kill()
		return err
	}
	return nil
}

// Addr is the server's address: 127.0.0.1:port, or the unix socket's
// path.
func (s *Server) Addr() string { return s.addr }

// Dir is the server's data directory (AOF, nodes.conf, log).
func (s *Server) Dir() string { return s.dir }

func (s *Server) network() string {
	if s.cfg.unix {
		return "unix"
	}
	return "tcp"
}

// TLSConfig returns a client TLS configuration that trusts the server's
// test CA, or nil when the server does not speak TLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.clientTLS()
}

// Options returns go-redis options for a client of this server, with
// short timeouts suited to a loopback server.
func (s *Server) Options() *redis.Options {
	return &redis.Options{
		Network:      s.network(),
		Addr:         s.Addr(),
		DialTimeout:  2 * time.Second,
		ReadTimeout:  2 * time.Second,
		WriteTimeout: 2 * time.Second,
		TLSConfig:    s.TLSConfig(),
	}
}

// Client returns a go-redis client of this server, closed when tb ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(s.Options())
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill kills the server process (SIGKILL, as a crash would) and waits
// until it has exited. It panics on a shared server, which other tests use.
func (s *Server) Kill() {
	if s.shared {
		panic("redistest: Kill on a shared server; use Start for a server of your own")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
}

// Restart starts the server again (killing it first if it runs) on the same
// port and data directory, so that it loads what it had persisted. It
// fails the test that started the server when the server does not come
// back, so it must be called from that test's goroutine; elsewhere use
// TryRestart.
func (s *Server) Restart() {
	if err := s.TryRestart(); err != nil {
		s.tb.Helper()
		s.tb.Fatal(err)
	}
}

// TryRestart is Restart returning the error instead of failing a test. It
// fails when the server does not come back, also when another process took
// its port meanwhile (the server cannot move to another).
func (s *Server) TryRestart() error {
	if s.shared {
		panic("redistest: Restart on a shared server; use Start for a server of your own")
	}
	s.Kill()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.launch(); err != nil {
		s.proc = nil
		return fmt.Errorf("redistest: restart %s: %w", s.Addr(), err)
	}
	return nil
}

// stop kills the process for good.
func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	if s.sockDir != "" {
		os.RemoveAll(s.sockDir)
	}
}
