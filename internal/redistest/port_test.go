package redistest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// processID reads INFO server's process_id from the server at s.
func processID(t *testing.T, s *Server) string {
	t.Helper()
	c := redis.NewClient(s.Options())
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatalf("INFO server at %s: %v", s.Addr(), err)
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "process_id:"); ok {
			return v
		}
	}
	t.Fatalf("INFO server at %s has no process_id", s.Addr())
	return ""
}

// TestPortHeldByAnotherServer: when another redis-server holds the port a
// server was given, its PONG does not pass for the new server's: the start
// is retried on another port, and the server returned is the process
// started.
func TestPortHeldByAnotherServer(t *testing.T) {
	t.Parallel()
	foreign := Start(t)
	s, err := startServer(config{firstPort: portOf(foreign.Addr())}, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("startServer: %v", err)
	}
	t.Cleanup(s.stop)
	if s.Addr() == foreign.Addr() {
		t.Fatalf("startServer: got the foreign server's address %s, want another port", s.Addr())
	}
	if got, want := processID(t, s), strconv.Itoa(s.proc.cmd.Process.Pid); got != want {
		t.Errorf("process_id at %s: got %s, want %s (the process started)", s.Addr(), got, want)
	}
}

// TestRestartOnTakenPortFails: a server whose port another redis-server
// took while it was down does not come back, and TryRestart says so
// rather than report the other server's PONG as its own.
func TestRestartOnTakenPortFails(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.Kill()
	thief, err := startServer(config{firstPort: portOf(s.Addr())}, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("startServer: %v", err)
	}
	t.Cleanup(thief.stop)
	if thief.Addr() != s.Addr() {
		t.Skipf("the freed port %s went elsewhere before the test could take it", s.Addr())
	}
	if err := s.TryRestart(); err == nil {
		t.Fatalf("TryRestart on a taken port: got nil, want an error")
	}
}
