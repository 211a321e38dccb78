package memory

import (
	"context"
	"errors"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// ErrInjected is the error of every failure these wrappers inject.
var ErrInjected = errors.New("memory: injected failure")

var (
	_ app.OrderRepository  = FailingSaves{}
	_ app.EventPublisher   = FailingPublisher{}
	_ app.InventoryGateway = SlowInventory{}
)

// FailingSaves wraps a repository so that every Save fails with
// ErrInjected and stores nothing, neither the order nor its outbox
// entries; Get still reads the wrapped repository.
type FailingSaves struct {
	app.OrderRepository
}

// Save fails.
func (FailingSaves) Save(context.Context, domain.Order, []domain.OrderPlaced) error {
	return ErrInjected
}

// FailingPublisher fails every Publish with ErrInjected.
type FailingPublisher struct{}

// Publish fails.
func (FailingPublisher) Publish(context.Context, domain.OrderPlaced) error { return ErrInjected }

// SlowInventory delays each Reserve by Delay, to stand in for slow work.
// Reserve is the first step after validation, so the delay falls between
// a valid request's arrival and its first side effect: exactly the window
// in which a client's retry races the original. A caller whose context
// ends during the delay gets ctx.Err() and nothing is reserved.
type SlowInventory struct {
	app.InventoryGateway
	Delay time.Duration
}

// Reserve waits Delay, then reserves.
func (s SlowInventory) Reserve(ctx context.Context, rs []app.Reservation) error {
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.InventoryGateway.Reserve(ctx, rs)
}
