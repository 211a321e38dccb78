package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

var (
	_ app.OrderRepository = (*OrderRepository)(nil)
	_ app.Outbox          = (*OrderRepository)(nil)
)

// OrderRepository keeps orders in a map and their outbox entries in a
// queue, both behind one lock, so that an order and its entries appear
// together or not at all. It never forgets an order: it is for tests and
// the demo, not for a long-running service. Sent entries are dropped.
type OrderRepository struct {
	mu      sync.RWMutex
	orders  map[domain.OrderID]domain.Order
	pending []app.OutboxEntry // by Seq, ascending
	lastSeq uint64
	saved   atomic.Int64
}

// NewOrderRepository returns an empty repository.
func NewOrderRepository() *OrderRepository {
	return &OrderRepository{orders: make(map[domain.OrderID]domain.Order)}
}

// Save stores a new order and its outbox entries in one critical section.
// Saving an ID twice is an error, as a primary key would make it, and so is
// an entry for another order, as a foreign key would make it; either way
// nothing is stored.
func (r *OrderRepository) Save(_ context.Context, o domain.Order, outbox []domain.OrderPlaced) error {
	for _, e := range outbox {
		if e.OrderID != o.ID() {
			return fmt.Errorf("memory: outbox entry for order %s saved with order %s", e.OrderID, o.ID())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.orders[o.ID()]; ok {
		return fmt.Errorf("memory: order %s already exists", o.ID())
	}
	r.orders[o.ID()] = o
	for _, e := range outbox {
		r.lastSeq++
		r.pending = append(r.pending, app.OutboxEntry{Seq: r.lastSeq, Event: e})
	}
	r.saved.Add(1)
	return nil
}

// Get returns the order with id, or a *domain.OrderNotFoundError.
func (r *OrderRepository) Get(_ context.Context, id domain.OrderID) (domain.Order, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	o, ok := r.orders[id]
	if !ok {
		return domain.Order{}, &domain.OrderNotFoundError{ID: id.String()}
	}
	return o, nil
}

// Saved returns how many orders were saved.
func (r *OrderRepository) Saved() int64 { return r.saved.Load() }
