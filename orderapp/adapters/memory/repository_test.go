package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func order(t *testing.T) domain.Order {
	t.Helper()
	cust, _ := domain.NewCustomerID("c1")
	price, _ := domain.ParseMoney("1.00")
	line, err := domain.NewLineItem(sku(t, "A"), 1, price)
	if err != nil {
		t.Fatal(err)
	}
	o, err := domain.NewOrder(domain.NewOrderID(), cust, []domain.LineItem{line}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOrderRepository(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := memory.NewOrderRepository()
	o := order(t)

	_, err := r.Get(ctx, o.ID())
	if nf := (*domain.OrderNotFoundError)(nil); !errors.As(err, &nf) || nf.ID != o.ID().String() {
		t.Fatalf("Get before Save error = %v, want OrderNotFound naming %s", err, o.ID())
	}
	if err := r.Save(ctx, o, nil); err != nil {
		t.Fatalf("Save error = %v, want nil", err)
	}
	if err := r.Save(ctx, o, nil); err == nil {
		t.Error("second Save of one ID: error = nil, want an error")
	}
	got, err := r.Get(ctx, o.ID())
	if err != nil || got.ID() != o.ID() || got.Total() != o.Total() {
		t.Errorf("Get = %v %s, %v; want %v %s, nil", got.ID(), got.Total(), err, o.ID(), o.Total())
	}
	if got := r.Saved(); got != 1 {
		t.Errorf("Saved() = %d, want 1", got)
	}
}

func TestPublisher(t *testing.T) {
	t.Parallel()
	p := memory.NewPublisher()
	e := domain.NewOrderPlaced(order(t))
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatalf("Publish error = %v, want nil", err)
	}
	got := p.Events()
	if len(got) != 1 || got[0] != e {
		t.Errorf("Events() = %v, want [%v]", got, e)
	}
	if n := p.Published(); n != 1 {
		t.Errorf("Published() = %d, want 1", n)
	}
}
