package relay_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	"github.com/idemproxy/idemproxy/orderapp/relay"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newRelay returns a relay over repo and pub with cfg, logging nowhere.
func newRelay(t *testing.T, repo app.Outbox, pub app.EventPublisher, cfg relay.Config) *relay.Relay {
	t.Helper()
	cfg.Logger = quiet
	r, err := relay.New(repo, pub, cfg)
	if err != nil {
		t.Fatalf("relay.New: %v", err)
	}
	return r
}

// place saves n new orders, each with its OrderPlaced entry, through repo,
// and returns the events in the order saved.
func place(t *testing.T, repo app.OrderRepository, n int) []domain.OrderPlaced {
	t.Helper()
	events, err := placeOrders(repo, n)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// placeOrders is place for other goroutines: it returns its error.
func placeOrders(repo app.OrderRepository, n int) ([]domain.OrderPlaced, error) {
	cust, err := domain.NewCustomerID("c1")
	if err != nil {
		return nil, err
	}
	sku, err := domain.NewSku("A")
	if err != nil {
		return nil, err
	}
	price, err := domain.ParseMoney("1.00")
	if err != nil {
		return nil, err
	}
	line, err := domain.NewLineItem(sku, 1, price)
	if err != nil {
		return nil, err
	}
	events := make([]domain.OrderPlaced, 0, n)
	for range n {
		o, err := domain.NewOrder(domain.NewOrderID(), cust, []domain.LineItem{line}, time.Unix(0, 0))
		if err != nil {
			return nil, err
		}
		e := domain.NewOrderPlaced(o)
		if err := repo.Save(context.Background(), o, []domain.OrderPlaced{e}); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// flakyPublisher fails its first fails calls, then hands events to a
// memory.Publisher, which keeps what was accepted. It notes when each call
// came.
type flakyPublisher struct {
	*memory.Publisher
	mu       sync.Mutex
	fails    int // -1: forever
	attempts []time.Time
}

func newFlaky(fails int) *flakyPublisher {
	return &flakyPublisher{Publisher: memory.NewPublisher(), fails: fails}
}

func (p *flakyPublisher) Publish(ctx context.Context, e domain.OrderPlaced) error {
	p.mu.Lock()
	p.attempts = append(p.attempts, time.Now())
	fail := p.fails != 0
	if p.fails > 0 {
		p.fails--
	}
	p.mu.Unlock()
	if fail {
		return memory.ErrInjected
	}
	return p.Publisher.Publish(ctx, e)
}

// failNext makes the next n calls fail (-1: all of them).
func (p *flakyPublisher) failNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails = n
}

func (p *flakyPublisher) attemptTimes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.attempts...)
}

// forgetfulOutbox fails its first fails MarkSent calls after doing
// nothing, as a crash between publish and mark would.
type forgetfulOutbox struct {
	*memory.OrderRepository
	mu    sync.Mutex
	fails int
}

func (o *forgetfulOutbox) MarkSent(ctx context.Context, seq uint64) error {
	o.mu.Lock()
	fail := o.fails > 0
	o.fails--
	o.mu.Unlock()
	if fail {
		return memory.ErrInjected
	}
	return o.OrderRepository.MarkSent(ctx, seq)
}
