package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// run owns the subscription connection while waiters are registered: it
// opens one, serves it until it fails, and replaces it, paced by a backoff
// that is reset only by a connection that proved itself healthy. It exits
// when no waiter is left or the waiters are closed.
func (w *waiters) run() {
	failures := 0
	for {
		if w.exitIfIdle() {
			return
		}
		if w.serve() {
			failures = 0
		} else {
			failures++
		}
		if !w.pause(failures) {
			w.exitIfIdle() // closed: clears running
			return
		}
	}
}

// exitIfIdle reports whether the loop should end (closed, or no waiter
// left), and clears running if so, under the same lock register checks it.
func (w *waiters) exitIfIdle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.n == 0 {
		w.running = false
		return true
	}
	return false
}

// pause waits before the next connection when connections keep failing:
// not at all after one failure, then from 50 ms doubling up to maxBackoff.
// It returns false when the waiters are closed.
func (w *waiters) pause(failures int) bool {
	if failures <= 1 {
		select {
		case <-w.stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(min(50*time.Millisecond<<min(failures-2, 6), maxBackoff))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.stop:
		return false
	}
}

// received is one reply read from the subscription connection.
type received struct {
	msg any
	err error
}

// batch is one SUBSCRIBE or UNSUBSCRIBE sent on the connection, followed by
// a PING with token. Redis answers in order, so an error reply read before
// that PONG is the command's.
type batch struct {
	token     string
	subscribe bool
	channels  []string
	err       error
}

// subConn is the state of one subscription connection, owned by serve.
type subConn struct {
	w   *waiters
	ps  *redis.PubSub
	seq int
	// onConn holds the channels subscribed on ps: true once confirmed,
	// false while the SUBSCRIBE's barrier is not answered yet.
	onConn  map[string]bool
	batches []*batch // sent, their PONG not read yet
}

const healthToken = "idem-health"

// serve opens a subscription connection, keeps it subscribed to the
// channels in use, and dispatches what it reads until it fails, falls idle
// or the waiters are closed. It reports whether the connection proved
// healthy: it answered a barrier or health PING, or survived a whole
// health period. A connection that dies right after its SUBSCRIBE is
// acknowledged did not, so a server that keeps dropping it is retried at
// the backoff's pace, not at full speed.
func (w *waiters) serve() (healthy bool) {
	c := &subConn{w: w, ps: w.client.Subscribe(w.ctx), onConn: make(map[string]bool)}
	done := make(chan struct{})
	defer func() {
		close(done)
		_ = c.ps.Close()
		w.lost()
	}()
	// The first sync dials; only then may the reader start, or its
	// Receive would dial again after a failed dial. With nothing to
	// subscribe (every waiter left, or its channel was refused) there is
	// nothing to dial for: wait for the waiters to change.
	for {
		if err := c.sync(); err != nil {
			return false
		}
		if len(c.onConn) > 0 {
			break
		}
		if w.idle() {
			return true
		}
		select {
		case <-w.stop:
			return true
		case <-w.wake:
		}
	}
	msgs := make(chan received)
	go read(c.ps, msgs, done)

	tick := time.NewTicker(healthEvery)
	defer tick.Stop()
	heard, pinged := false, false // since the last tick
	for {
		select {
		case <-w.stop:
			return healthy
		case <-w.wake:
			if err := c.sync(); err != nil {
				return healthy
			}
		case r := <-msgs:
			heard = true
			if r.err != nil {
				if isRedisError(r.err) {
					c.refused(r.err)
					continue
				}
				return healthy
			}
			switch m := r.msg.(type) {
			case *redis.Message:
				w.notify(m.Channel)
			case *redis.Pong:
				pinged = false
				if m.Payload == healthToken || c.confirm(m.Payload) {
					healthy = true
				}
			}
		case <-tick.C:
			switch {
			case heard:
				healthy = true // alive for a whole period
			case pinged: // a whole period silent, the PING unanswered
				return healthy
			case w.idle():
				return true
			default:
				healthy = true
				pinged = true
				if err := c.write(func(ctx context.Context) error { return c.ps.Ping(ctx, healthToken) }); err != nil {
					return healthy
				}
			}
			heard = false
		}
	}
}

// read passes every reply of ps to out until the connection fails (an
// error that is not a server's error reply) or done is closed.
func read(ps *redis.PubSub, out chan<- received, done <-chan struct{}) {
	for {
		msg, err := ps.Receive(context.Background())
		select {
		case out <- received{msg, err}:
		case <-done:
			return
		}
		if err != nil && !isRedisError(err) {
			return
		}
	}
}

// isRedisError reports a server's error reply (NOPERM), as opposed to a
// network or client error.
func isRedisError(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

// idle reports whether no waiter is left.
func (w *waiters) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n == 0
}

// lost marks every channel unconfirmed: the connection is gone.
func (w *waiters) lost() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cw := range w.chans {
		cw.subscribed = false
	}
}

// write runs one write on the connection, bounded by opTimeout.
func (c *subConn) write(op func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(c.w.ctx, opTimeout)
	defer cancel()
	return op(ctx)
}

// sync subscribes to the channels in use that are not on the connection
// yet, and unsubscribes from those no longer in use, each followed by a
// PING barrier. A channel whose last waiter left and a new one came before
// sync looked stayed subscribed: its new waiters are ready at once.
func (c *subConn) sync() error {
	var sub, unsub []string
	c.w.mu.Lock()
	for ch, cw := range c.w.chans {
		confirmed, on := c.onConn[ch]
		switch {
		case !on && cw.refused == nil:
			sub = append(sub, ch)
		case confirmed && !cw.subscribed:
			cw.answer(nil)
		}
	}
	for ch := range c.onConn {
		if c.w.chans[ch] == nil {
			unsub = append(unsub, ch)
		}
	}
	c.w.mu.Unlock()
	for _, b := range []*batch{{subscribe: true, channels: sub}, {channels: unsub}} {
		if len(b.channels) == 0 {
			continue
		}
		c.seq++
		b.token = "idem-wait-" + strconv.Itoa(c.seq)
		err := c.write(func(ctx context.Context) error {
			if b.subscribe {
				if err := c.ps.Subscribe(ctx, b.channels...); err != nil {
					return err
				}
			} else if err := c.ps.Unsubscribe(ctx, b.channels...); err != nil {
				return err
			}
			return c.ps.Ping(ctx, b.token)
		})
		if err != nil {
			return err
		}
		for _, ch := range b.channels {
			if b.subscribe {
				c.onConn[ch] = false // until its barrier is answered
			} else {
				delete(c.onConn, ch)
			}
		}
		c.batches = append(c.batches, b)
	}
	return nil
}

// refused records a server's error reply against the oldest batch whose
// PONG is not read yet: the command it answers.
func (c *subConn) refused(err error) {
	for _, b := range c.batches {
		if b.err == nil {
			b.err = err
			return
		}
	}
}

// confirm handles the PONG of token: the batches up to it are answered.
// It reports whether token was a barrier of this connection.
func (c *subConn) confirm(token string) bool {
	i := 0
	for i < len(c.batches) && c.batches[i].token != token {
		i++
	}
	if i == len(c.batches) {
		return false
	}
	answered := c.batches[:i+1]
	c.batches = c.batches[i+1:]
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	for _, b := range answered {
		if !b.subscribe {
			continue
		}
		for _, ch := range b.channels {
			if b.err != nil {
				delete(c.onConn, ch) // a later waiter may try again
			} else if _, on := c.onConn[ch]; on {
				c.onConn[ch] = true
			}
			if cw := c.w.chans[ch]; cw != nil {
				cw.answer(b.err)
			}
		}
	}
	return true
}

// answer tells cw's waiters that their channel is subscribed (refused nil)
// or that the server refused it. Called with waiters.mu held.
func (cw *channelWaiters) answer(refused error) {
	if refused != nil {
		cw.refused = refused
	} else {
		cw.subscribed = true
	}
	for wt := range cw.set {
		wt.err = cw.refused
		select {
		case wt.ready <- struct{}{}:
		default:
		}
	}
}
