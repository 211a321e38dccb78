package memory

import (
	"context"
	"sync"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

var _ app.EventPublisher = (*Publisher)(nil)

// Publisher records the events it is given, in order.
type Publisher struct {
	mu     sync.Mutex
	events []domain.OrderPlaced
}

// NewPublisher returns a publisher with no events.
func NewPublisher() *Publisher { return &Publisher{} }

// Publish records e.
func (p *Publisher) Publish(_ context.Context, e domain.OrderPlaced) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
	return nil
}

// Published returns how many events were published.
func (p *Publisher) Published() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(len(p.events))
}

// Events returns a copy of the events published so far.
func (p *Publisher) Events() []domain.OrderPlaced {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]domain.OrderPlaced(nil), p.events...)
}
