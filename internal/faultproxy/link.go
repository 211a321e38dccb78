package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Link is one proxied connection: the client's side and the target's.
type Link struct {
	id             uint64
	client, server net.Conn
	done           chan struct{} // closed when the link is torn down
	once           sync.Once
}

// ID numbers the proxy's links from 1, in the order they were accepted.
func (l *Link) ID() uint64 { return l.id }

// close tears the link down with FIN on both sides.
func (l *Link) close() {
	l.once.Do(func() {
		close(l.done)
		_ = l.client.Close()
		_ = l.server.Close()
	})
}

// abort tears the link down with RST on both sides.
func (l *Link) abort() {
	l.once.Do(func() {
		close(l.done)
		resetConn(l.client)
		resetConn(l.server)
	})
}

// resetConn closes c so that its peer gets a RST rather than a FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// end says how a direction's stream ended.
type end uint8

const (
	endNone   end = iota
	endEOF        // the source closed its side: half-close the destination
	endBroken     // the source broke: reset the link
)

// item is one chunk on its way through the queue of a direction.
type item struct {
	data []byte
	at   time.Time // when to deliver it
	then Verdict   // after data: Pass (nothing), Reset or Close
	end  end
	done func(delivered bool)
}

// finish reports the item's fate to its filter, once.
func (it *item) finish(delivered bool) {
	if it.done != nil {
		it.done(delivered)
		it.done = nil
	}
}

// pump carries one direction of l from src to dst: a reader that applies
// the filter and a writer that delivers on time, joined by a bounded queue.
func (p *Proxy) pump(l *Link, dir Direction, src, dst net.Conn) {
	queue := make(chan item, queueChunks)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		l.deliver(queue, dst)
	}()
	p.read(l, dir, src, queue)
	<-delivered
}

// read reads src until it ends, a verdict ends the direction, or the link
// is torn down; it closes queue when it returns.
func (p *Proxy) read(l *Link, dir Direction, src net.Conn, queue chan<- item) {
	defer close(queue)
	buf := make([]byte, bufSize)
	var offset int64
	held := false
	for {
		n, err := src.Read(buf)
		if n > 0 && !held {
			filter, latency := p.snapshot(dir)
			var d Decision
			if filter != nil {
				d = filter(Chunk{Link: l, Dir: dir, Data: buf[:n], Offset: offset})
			}
			offset += int64(n)
			forward := n
			if d.Verdict != Pass {
				forward = min(max(d.Forward, 0), n)
			}
			it := item{data: append([]byte(nil), buf[:forward]...), at: time.Now().Add(latency + d.Delay), then: d.Verdict, done: d.Done}
			if it.then == Hold {
				it.then = Pass
				held = true
			}
			if !l.push(queue, it) {
				it.finish(false)
				return
			}
			if d.Verdict == Reset || d.Verdict == Close {
				return
			}
		}
		if err != nil {
			if held {
				// Nothing of this direction goes out any more, and its
				// source is gone: so is the connection.
				l.abort()
				return
			}
			_, latency := p.snapshot(dir)
			it := item{at: time.Now().Add(latency), end: endBroken}
			if errors.Is(err, io.EOF) {
				it.end = endEOF
			}
			l.push(queue, it)
			return
		}
	}
}

// push queues it, unless the link is torn down first.
func (l *Link) push(queue chan<- item, it item) bool {
	select {
	case queue <- it:
		return true
	case <-l.done:
		return false
	}
}

// deliver writes the queued chunks to dst, each at its time. Chunks it
// cannot deliver any more are reported undelivered.
func (l *Link) deliver(queue <-chan item, dst net.Conn) {
	defer func() {
		for it := range queue {
			it.finish(false)
		}
	}()
	for it := range queue {
		if wait := time.Until(it.at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				it.finish(false)
				return
			}
		}
		if len(it.data) > 0 {
			if _, err := dst.Write(it.data); err != nil {
				it.finish(false)
				l.abort()
				return
			}
		}
		it.finish(true)
		switch {
		case it.then == Reset || it.end == endBroken:
			l.abort()
			return
		case it.then == Close:
			l.close()
			return
		case it.end == endEOF:
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			} else {
				_ = dst.Close()
			}
			return
		}
	}
}
