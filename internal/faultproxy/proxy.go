package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Direction is one way through a connection.
type Direction uint8

const (
	// ToTarget carries the client's bytes to the target: requests.
	ToTarget Direction = iota
	// ToClient carries the target's bytes back: replies.
	ToClient
)

func (d Direction) String() string {
	if d == ToTarget {
		return "to-target"
	}
	return "to-client"
}

// Verdict is what happens to a chunk, and to its connection.
type Verdict uint8

const (
	// Pass forwards the chunk.
	Pass Verdict = iota
	// Hold forwards Decision.Forward bytes of the chunk, then nothing more
	// in this direction: later bytes are read and dropped, and the
	// connection stays open — a blackhole.
	Hold
	// Reset forwards Decision.Forward bytes, then resets both sides (RST):
	// a connection that broke.
	Reset
	// Close forwards Decision.Forward bytes, then closes both sides (FIN):
	// a stream cut short that looks like an orderly end.
	Close
)

// Chunk is one read from one side of a connection.
type Chunk struct {
	Link *Link
	Dir  Direction
	// Data is valid only during the filter call.
	Data []byte
	// Offset counts the bytes this direction of Link carried before Data.
	Offset int64
}

// Decision is a Filter's answer for one chunk.
type Decision struct {
	Verdict Verdict
	// Forward is how many bytes of the chunk go out before a Hold, Reset
	// or Close. Pass forwards the whole chunk whatever it says.
	Forward int
	// Delay holds the chunk this much longer than the direction's latency;
	// the chunks behind it wait too, so a connection's bytes keep their
	// order.
	Delay time.Duration
	// Done, when set, is called once the forwarded bytes are written to
	// the other side (delivered true) or the link was torn down before
	// they could be (false): the signal that a delayed chunk has arrived.
	Done func(delivered bool)
}

// Filter decides each chunk's fate. It runs on the reading goroutine of the
// chunk's connection and direction.
type Filter func(Chunk) Decision

const (
	bufSize     = 32 << 10
	queueChunks = 64
	dialTimeout = 2 * time.Second
)

// Proxy forwards TCP connections from its loopback address to a target.
type Proxy struct {
	target string
	addr   string

	mu      sync.Mutex
	ln      net.Listener // nil while paused or closed
	filter  Filter
	latency [2]time.Duration
	links   map[*Link]struct{}
	closed  bool

	nextID   atomic.Uint64
	accepted atomic.Int64
	wg       sync.WaitGroup
}

// Start listens on a free loopback port and forwards every connection to
// target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, links: map[*Link]struct{}{}}
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the proxy's address (127.0.0.1:port); it stays the same across
// Pause and Resume.
func (p *Proxy) Addr() string { return p.addr }

// Accepted counts the connections accepted so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// SetFilter installs f for every chunk read from now on, on every
// connection; nil passes everything.
func (p *Proxy) SetFilter(f Filter) {
	p.mu.Lock()
	p.filter = f
	p.mu.Unlock()
}

// SetLatency delays every chunk read from now on in direction dir by d.
func (p *Proxy) SetLatency(dir Direction, d time.Duration) {
	p.mu.Lock()
	p.latency[dir] = d
	p.mu.Unlock()
}

// Heal removes the filter and the latencies. Connections already held,
// reset or closed stay so.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.filter = nil
	p.latency = [2]time.Duration{}
	p.mu.Unlock()
}

// ResetAll resets every open connection (RST to both sides).
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	links := make([]*Link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.abort()
	}
}

// Pause stops listening, so new connections are refused, and resets the
// open ones: the target looks down.
func (p *Proxy) Pause() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.ResetAll()
}

// Resume listens again on the same address after Pause.
func (p *Proxy) Resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("faultproxy: closed")
	}
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
	return nil
}

// Close stops listening, resets every connection and waits for every
// goroutine of the proxy to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	ln := p.ln
	p.ln = nil
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.ResetAll()
	p.wg.Wait()
	return nil
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Pause or Close
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.serve(c)
	}
}

// snapshot returns the filter and latency of direction dir, now.
func (p *Proxy) snapshot(dir Direction) (Filter, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.filter, p.latency[dir]
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		// The target is down: the client sees its connection reset.
		resetConn(client)
		return
	}
	l := &Link{id: p.nextID.Add(1), client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.abort()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()

	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); p.pump(l, ToTarget, client, server) }()
	go func() { defer pumps.Done(); p.pump(l, ToClient, server, client) }()
	pumps.Wait()
	l.close()

	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}
