package redisstore

import (
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestWaiterRejoinsSubscribedChannel: the last waiter of a channel leaves
// and a new one comes before the loop has looked (so the channel is never
// unsubscribed): the new waiter is told the channel is subscribed all the
// same, instead of waiting for a confirmation nobody will send.
func TestWaiterRejoinsSubscribedChannel(t *testing.T) {
	t.Parallel()
	w := newWaiters(redistest.Shared(t).Client(t), 10)
	t.Cleanup(w.close)
	const channel = "idemrejoin:{a:b}"
	a, err := w.register(channel)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("first waiter: not ready within 10s")
	}
	// Both under one hold of the lock: the loop cannot run in between.
	w.mu.Lock()
	w.unregisterLocked(a)
	b, err := w.registerLocked(channel)
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	defer w.unregister(b)
	select {
	case <-b.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("second waiter: not ready within 10s")
	}
}
