package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

var _ app.OrderRepository = (*OrderRepository)(nil)

// OrderRepository keeps orders in a map. It never forgets one: it is for
// tests and the demo, not for a long-running service.
type OrderRepository struct {
	mu     sync.RWMutex
	orders map[domain.OrderID]domain.Order
	saved  atomic.Int64
}

// NewOrderRepository returns an empty repository.
func NewOrderRepository() *OrderRepository {
	return &OrderRepository{orders: make(map[domain.OrderID]domain.Order)}
}

// Save stores a new order; saving an ID twice is an error, as a primary key
// would make it.
func (r *OrderRepository) Save(_ context.Context, o domain.Order) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.orders[o.ID()]; ok {
		return fmt.Errorf("memory: order %s already exists", o.ID())
	}
	r.orders[o.ID()] = o
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
