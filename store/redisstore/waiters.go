package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// waiters multiplexes every Wait of a Store over one Redis subscription
// connection, subscribed to the channels of the keys being waited on. One
// connection per Store rather than one per waiter: a burst of duplicates
// in wait mode then costs a SUBSCRIBE on an open connection, not a dial
// (and a TLS handshake) each.
//
// One goroutine (run, in subscription.go) owns the connection and does
// all its network I/O; waiters never do any, and never wait for it: they
// register under mu and then select on their own signals and their own
// context. So a Wait always returns by its context, even while the
// subscription connection cannot be dialled or hangs.
//
// A waiter must not miss the notification sent between its look at the
// record and its block. So it looks at the record only once the loop has
// confirmed its channel on the connection (ready): the loop sends PING
// with a token after each SUBSCRIBE, and Redis answers in order, so the
// token's PONG proves the channels subscribed. Messages published while the
// connection is down are lost; once a replacement connection confirms a
// channel, its waiters get ready again and look at the record again.
type waiters struct {
	client Client
	max    int
	stop   chan struct{}      // closed by close
	wake   chan struct{}      // cap 1: the channels in use changed
	ctx    context.Context    // the loop's operations; cancelled by close
	cancel context.CancelFunc //

	mu      sync.Mutex
	chans   map[string]*channelWaiters
	n       int  // waiters registered
	running bool // a run goroutine owns the subscription
	closed  bool
}

// channelWaiters is the waiters of one channel. Guarded by waiters.mu.
type channelWaiters struct {
	set map[*waiter]struct{}
	// subscribed: confirmed on the current connection.
	subscribed bool
	// refused is the server's error reply to the SUBSCRIBE (NOPERM: an
	// ACL user without the channel): given to the channel's waiters, and
	// not retried until they are gone, so that a denied subscription does
	// not turn into a retry storm.
	refused error
}

// waiter is one Wait call.
type waiter struct {
	channel string
	// ready gets a signal each time the channel is confirmed subscribed
	// (first, and again on every replacement connection) or refused: look
	// at the record (or at err) now.
	ready chan struct{}
	done  chan struct{} // closed by a message on channel, or by close
	// Guarded by waiters.mu.
	notified bool
	err      error
}

// Timing of the subscription connection.
const (
	// healthEvery is how long the connection may be silent before a health
	// PING, and how long that PING may go unanswered before the connection
	// is replaced. With no waiter left, a silent period closes it.
	healthEvery = 5 * time.Second
	// opTimeout bounds a dial plus SUBSCRIBE, UNSUBSCRIBE or PING write of
	// the loop; waiters' contexts are not used for them, so that a waiter
	// that gives up does not break the connection the others share.
	opTimeout = 2 * time.Second
	// maxBackoff caps the wait between replacements of a failing
	// connection (it doubles from 50 ms, the first retry is immediate).
	maxBackoff = 2 * time.Second
)

func newWaiters(client Client, max int) *waiters {
	ctx, cancel := context.WithCancel(context.Background())
	return &waiters{
		client: client,
		max:    max,
		stop:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
		chans:  make(map[string]*channelWaiters),
	}
}

// register adds a waiter on channel and has the loop subscribe to it. It
// does no I/O. It fails with the server's refusal when the channel's
// subscription was refused and its waiters are still there.
func (w *waiters) register(channel string) (*waiter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.registerLocked(channel)
}

func (w *waiters) registerLocked(channel string) (*waiter, error) {
	if w.closed {
		return nil, ErrClosed
	}
	if w.n >= w.max {
		return nil, ErrTooManyWaiters
	}
	cw := w.chans[channel]
	if cw != nil && cw.refused != nil {
		return nil, fmt.Errorf("subscribe: %w", cw.refused)
	}
	if cw == nil {
		cw = &channelWaiters{set: make(map[*waiter]struct{})}
		w.chans[channel] = cw
	}
	wt := &waiter{channel: channel, ready: make(chan struct{}, 1), done: make(chan struct{})}
	cw.set[wt] = struct{}{}
	w.n++
	switch {
	case cw.subscribed:
		wt.ready <- struct{}{}
	case !w.running:
		w.running = true
		go w.run()
	default:
		w.nudge()
	}
	return wt, nil
}

// unregister removes wt; the loop unsubscribes from its channel if it was
// the last.
func (w *waiters) unregister(wt *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unregisterLocked(wt)
}

func (w *waiters) unregisterLocked(wt *waiter) {
	cw := w.chans[wt.channel]
	delete(cw.set, wt)
	w.n--
	if len(cw.set) == 0 {
		delete(w.chans, wt.channel)
		w.nudge()
	}
}

// nudge tells the loop that the channels in use changed. Called with mu
// held.
func (w *waiters) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// refusal returns the server's refusal of wt's subscription, or nil.
func (w *waiters) refusal(wt *waiter) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return wt.err
}

// notify wakes the waiters of channel: a message arrived on it.
func (w *waiters) notify(channel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cw := w.chans[channel]; cw != nil {
		for wt := range cw.set {
			wt.wake()
		}
	}
}

// wake closes done once. Called with waiters.mu held.
func (wt *waiter) wake() {
	if !wt.notified {
		wt.notified = true
		close(wt.done)
	}
}

// close ends the subscription; registered waiters are woken as if notified.
// It does not wait for the loop, which may be stuck in a dial.
func (w *waiters) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	close(w.stop)
	w.cancel()
	for _, cw := range w.chans {
		for wt := range cw.set {
			wt.wake()
		}
	}
}
