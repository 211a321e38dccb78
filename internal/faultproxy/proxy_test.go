package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// echo starts a TCP echo server on loopback, closed when the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// start starts a proxy to target, closed when the test ends.
func start(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dial connects to p with a deadline that bounds the whole test's I/O.
func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(buf)
}

func TestPassForwardsBothWays(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	c := dial(t, p)
	for _, msg := range []string{"ping", "a longer message\r\n", string(bytes.Repeat([]byte("x"), 100_000))} {
		if got := roundTrip(t, c, msg); got != msg {
			t.Errorf("echo of %d bytes = %d bytes, want the same", len(msg), len(got))
		}
	}
	if got := p.Accepted(); got != 1 {
		t.Errorf("Accepted() = %d, want 1", got)
	}
}

func TestLatencyDelaysEachDirection(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	const d = 150 * time.Millisecond
	p.SetLatency(ToClient, d)
	c := dial(t, p)
	began := time.Now()
	roundTrip(t, c, "slow")
	if took := time.Since(began); took < d {
		t.Errorf("round trip with %v latency took %v, want at least %v", d, took, d)
	}
	p.Heal()
	began = time.Now()
	roundTrip(t, c, "fast")
	if took := time.Since(began); took >= d {
		t.Errorf("round trip after Heal took %v, want under %v", took, d)
	}
}

func TestHoldDropsTheRestAndKeepsTheConnection(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	var held atomic.Int64
	p.SetFilter(func(c Chunk) Decision {
		if c.Dir == ToTarget && bytes.Contains(c.Data, []byte("STALL")) {
			held.Add(1)
			return Decision{Verdict: Hold, Forward: bytes.Index(c.Data, []byte("STALL"))}
		}
		return Decision{}
	})
	c := dial(t, p)
	if _, err := c.Write([]byte("okSTALLlost")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ok" {
		t.Fatalf("read = %q, %v; want the prefix %q", buf, err, "ok")
	}
	// Later bytes vanish: nothing comes back within a bound.
	_, _ = c.Write([]byte("more"))
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 16))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("read after Hold = %d bytes, %v; want a timeout (the connection open, silent)", n, err)
	}
	if held.Load() != 1 {
		t.Errorf("filter saw the stalling chunk %d times, want 1", held.Load())
	}
}

func TestResetAfterAPrefix(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	p.SetFilter(func(c Chunk) Decision {
		if c.Dir == ToClient {
			return Decision{Verdict: Reset}
		}
		return Decision{}
	})
	c := dial(t, p)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(make([]byte, 16))
	if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read = %d bytes, %v; want a connection reset and no bytes", n, err)
	}
}

func TestCloseTruncatesTheStream(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	p.SetFilter(func(c Chunk) Decision {
		if c.Dir == ToClient {
			return Decision{Verdict: Close, Forward: 3}
		}
		return Decision{}
	})
	c := dial(t, p)
	if _, err := c.Write([]byte("truncated")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if string(got) != "tru" || err != nil {
		t.Errorf("read = %q, %v; want %q then EOF", got, err, "tru")
	}
}

func TestPauseRefusesAndResumeListensAgain(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	open := dial(t, p)
	roundTrip(t, open, "before")
	p.Pause()
	if _, err := open.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("open connection after Pause: read error %v, want a reset", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial while paused: %v, want connection refused", err)
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	if got := roundTrip(t, dial(t, p), "after"); got != "after" {
		t.Errorf("echo after Resume = %q", got)
	}
}

func TestDeadTargetResetsTheClient(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close() // nobody listens there now
	p := start(t, target)
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Read(make([]byte, 1))
	}
	// The reset may beat the handshake's end: the dial itself fails then.
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Errorf("read through a proxy whose target is down: %v, want a reset or EOF", err)
	}
}

func TestResetAllAndCloseEndEveryConnection(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	a, b := dial(t, p), dial(t, p)
	roundTrip(t, a, "a")
	roundTrip(t, b, "b")
	p.ResetAll()
	for _, c := range []net.Conn{a, b} {
		if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
			t.Errorf("read after ResetAll: %v, want the connection broken", err)
		}
	}
	c := dial(t, p)
	roundTrip(t, c, "still serving")
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Errorf("read after Close: %v, want the connection broken", err)
	}
}

func TestDoneReportsEachChunksFate(t *testing.T) {
	t.Parallel()
	p := start(t, echo(t))
	const d = 100 * time.Millisecond
	fates := make(chan bool, 2)
	var seen atomic.Int64
	p.SetFilter(func(c Chunk) Decision {
		if c.Dir != ToTarget {
			return Decision{}
		}
		if seen.Add(1) == 1 {
			began := time.Now()
			return Decision{Delay: d, Done: func(delivered bool) {
				if time.Since(began) < d {
					t.Errorf("delayed chunk delivered after %v, want at least %v", time.Since(began), d)
				}
				fates <- delivered
			}}
		}
		// The second chunk waits long enough for the test to tear the
		// connection down under it.
		return Decision{Delay: time.Hour, Done: func(delivered bool) { fates <- delivered }}
	})
	c := dial(t, p)
	roundTrip(t, c, "first")
	if !<-fates {
		t.Error("the first chunk was reported undelivered")
	}
	if _, err := c.Write([]byte("second")); err != nil {
		t.Fatal(err)
	}
	within := time.After(5 * time.Second)
	for seen.Load() < 2 {
		select {
		case <-within:
			t.Fatal("the filter never saw the second chunk")
		case <-time.After(time.Millisecond):
		}
	}
	p.ResetAll()
	select {
	case delivered := <-fates:
		if delivered {
			t.Error("a chunk torn down with its link was reported delivered")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Done was not called for a chunk whose link was torn down")
	}
}
