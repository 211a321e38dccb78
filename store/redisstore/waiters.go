package redisstore

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// waiters multiplexes every Wait of a Store over one Redis subscription
// connection, subscribed to the channels of the keys being waited on. One
// connection per Store rather than one per waiter: a burst of duplicates
// in wait mode then costs a SUBSCRIBE and a PING each on an open
// connection, not a dial (and a TLS handshake) each.
//
// A waiter must not miss the notification sent between its look at the
// record and its block. So after its SUBSCRIBE it sends PING with a token
// of its own on the subscription connection and looks at the record only
// once that PONG is back: Redis answers in order, so it then is subscribed.
//
// Messages published while the connection is down are lost. Whenever the
// connection fails (an error, or a health PING unanswered for a whole
// period), it is replaced by a new one subscribed to every channel in use,
// and every waiter is told to recheck the record.
type waiters struct {
	client Client
	max    int
	stop   chan struct{} // closed by close

	mu     sync.Mutex
	ps     *redis.PubSub // nil while no subscription is open
	chans  map[string]map[*waiter]struct{}
	pongs  map[string]chan struct{} // barrier token -> closed on its PONG
	n      int                      // waiters registered
	seq    uint64
	closed bool
}

// waiter is one Wait call.
type waiter struct {
	channel  string
	done     chan struct{} // closed when a message arrives on channel
	recheck  chan struct{} // the subscription was replaced: look again
	notified bool          // done is closed (guarded by waiters.mu)
}

// Timing of the subscription connection.
const (
	// healthEvery is how long the connection may be silent before a health
	// PING, and how long that PING may go unanswered before the connection
	// is replaced. With no waiter left, a silent period closes it.
	healthEvery = 5 * time.Second
	// opTimeout bounds a SUBSCRIBE, UNSUBSCRIBE or PING write; waiters'
	// own contexts are not used for them, so that a waiter that gives up
	// does not break the connection the others share.
	opTimeout = 2 * time.Second
	// maxBackoff caps the wait between replacements of a failing
	// connection (it doubles from 50 ms, the first retry is immediate).
	maxBackoff = 2 * time.Second
)

var errRecheck = errors.New("redisstore: subscription replaced")

func newWaiters(client Client, max int) *waiters {
	return &waiters{
		client: client,
		max:    max,
		stop:   make(chan struct{}),
		chans:  make(map[string]map[*waiter]struct{}),
		pongs:  make(map[string]chan struct{}),
	}
}

// register adds a waiter on channel, subscribing to it if it is the first.
func (w *waiters) register(channel string) (*waiter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	if w.n >= w.max {
		return nil, ErrTooManyWaiters
	}
	wt := &waiter{channel: channel, done: make(chan struct{}), recheck: make(chan struct{}, 1)}
	set := w.chans[channel]
	first := set == nil
	if first {
		set = make(map[*waiter]struct{})
		w.chans[channel] = set
	}
	set[wt] = struct{}{}
	w.n++
	switch {
	case w.ps == nil:
		w.openLocked(0)
	case first:
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		if err := w.ps.Subscribe(ctx, channel); err != nil {
			_ = w.ps.Close() // the dispatcher replaces it
		}
		cancel()
	}
	return wt, nil
}

// unregister removes wt, unsubscribing from its channel if it was the last.
func (w *waiters) unregister(wt *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.chans[wt.channel]
	delete(set, wt)
	w.n--
	if len(set) > 0 {
		return
	}
	delete(w.chans, wt.channel)
	if w.ps != nil {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		if err := w.ps.Unsubscribe(ctx, wt.channel); err != nil {
			_ = w.ps.Close()
		}
		cancel()
	}
}

// barrier returns once the subscription connection has answered a PING
// sent after wt's SUBSCRIBE, so that wt is subscribed. errRecheck: the
// connection was replaced meanwhile, try again. While Redis is unreachable
// it blocks until ctx ends: replacements are paced by the dispatcher's
// backoff, so this never spins.
func (w *waiters) barrier(ctx context.Context, wt *waiter) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.seq++
	token := "idem-wait-" + strconv.FormatUint(w.seq, 10)
	pong := make(chan struct{})
	w.pongs[token] = pong
	ps := w.ps
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.pongs, token)
		w.mu.Unlock()
	}()

	pctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	err := ps.Ping(pctx, token)
	cancel()
	if err != nil {
		// The connection is broken: close it, so that the dispatcher
		// replaces it and sends a recheck, and wait for that (or ctx)
		// rather than fail the Wait on a blip.
		_ = ps.Close()
		pong = nil
	}
	select {
	case <-pong:
		return nil
	case <-wt.done:
		return nil
	case <-wt.recheck:
		return errRecheck
	case <-ctx.Done():
		return ctx.Err()
	}
}

// openLocked opens a subscription to every channel in use and starts its
// dispatcher. failures counts the connections that failed in a row.
func (w *waiters) openLocked(failures int) {
	channels := make([]string, 0, len(w.chans))
	for ch := range w.chans {
		channels = append(channels, ch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	// A failed SUBSCRIBE is not reported here; the dispatcher's first
	// receive fails and replaces the connection.
	w.ps = w.client.Subscribe(ctx, channels...)
	go w.dispatch(w.ps, failures)
}

// dispatch reads ps until it fails or is replaced: messages wake the
// waiters of their channel, PONGs release barriers.
func (w *waiters) dispatch(ps *redis.PubSub, failures int) {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(context.Background(), healthEvery)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if w.idle(ps) {
					return
				}
				if !pinged {
					pinged = true
					ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
					err = ps.Ping(ctx)
					cancel()
					if err == nil {
						continue
					}
				}
			}
			w.replace(ps, failures)
			return
		}
		pinged, failures = false, 0
		switch m := msg.(type) {
		case *redis.Message:
			w.notify(m.Channel)
		case *redis.Pong:
			w.pong(m.Payload)
		}
	}
}

// idle closes ps when no waiter is left, and reports whether it did (or
// whether ps is no longer the current subscription).
func (w *waiters) idle(ps *redis.PubSub) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ps != ps {
		return true
	}
	if w.n > 0 {
		return false
	}
	w.ps = nil
	_ = ps.Close()
	return true
}

// replace swaps the failed ps for a new subscription, after a backoff when
// connections keep failing, and tells every waiter to recheck.
func (w *waiters) replace(ps *redis.PubSub, failures int) {
	if failures > 0 {
		d := min(50*time.Millisecond<<min(failures-1, 6), maxBackoff)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-w.stop:
			t.Stop()
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ps != ps || w.closed {
		return
	}
	_ = ps.Close()
	w.ps = nil
	if w.n > 0 {
		w.openLocked(failures + 1)
	}
	for _, set := range w.chans {
		for wt := range set {
			select {
			case wt.recheck <- struct{}{}:
			default:
			}
		}
	}
}

func (w *waiters) notify(channel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for wt := range w.chans[channel] {
		if !wt.notified {
			wt.notified = true
			close(wt.done)
		}
	}
}

func (w *waiters) pong(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.pongs[token]; ok {
		close(ch)
		delete(w.pongs, token)
	}
}

// close ends the subscription; registered waiters are woken as if notified.
func (w *waiters) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	close(w.stop)
	if w.ps != nil {
		_ = w.ps.Close()
		w.ps = nil
	}
	for _, set := range w.chans {
		for wt := range set {
			if !wt.notified {
				wt.notified = true
				close(wt.done)
			}
		}
	}
}
