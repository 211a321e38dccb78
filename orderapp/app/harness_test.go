package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// now is the fixed clock of every test order.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// harness is a PlaceOrder on the memory adapters, with hooks to make any
// port fail.
type harness struct {
	inv    *memory.Inventory
	pay    *memory.Payment
	repo   *memory.OrderRepository
	events *memory.Publisher
	uc     *app.PlaceOrder
}

// faults says which ports fail, and direct publishes inline
// (PublishDirect) instead of through the outbox.
type faults struct {
	save, publish, release, refund bool
	direct                         bool
}

func newHarness(t *testing.T, stock map[string]int64, f faults) *harness {
	t.Helper()
	levels := make(map[domain.Sku]int64, len(stock))
	for s, n := range stock {
		levels[mustSku(t, s)] = n
	}
	inv, err := memory.NewInventory(levels, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{inv: inv, pay: memory.NewPayment(), repo: memory.NewOrderRepository(), events: memory.NewPublisher()}
	d := app.PlaceOrderDeps{Inventory: h.inv, Payment: h.pay, Orders: h.repo, Events: h.events, Now: func() time.Time { return now }}
	if f.direct {
		d.Publish = app.PublishDirect
	}
	if f.save {
		d.Orders = memory.FailingSaves{OrderRepository: h.repo}
	}
	if f.publish {
		d.Events = memory.FailingPublisher{}
	}
	if f.release {
		d.Inventory = failingRelease{InventoryGateway: h.inv}
	}
	if f.refund {
		d.Payment = failingRefund{PaymentGateway: h.pay}
	}
	h.uc = app.NewPlaceOrder(d)
	return h
}

// counts is what the adapters did, for one comparison per test.
type counts struct {
	Reservations, Releases, Charges, Refunds, Saved, Pending, Events int64
}

func (h *harness) counts() counts {
	return counts{
		Reservations: h.inv.Reservations(),
		Releases:     h.inv.Releases(),
		Charges:      h.pay.Charges(),
		Refunds:      h.pay.Refunds(),
		Saved:        h.repo.Saved(),
		Pending:      h.repo.PendingCount(),
		Events:       h.events.Published(),
	}
}

var errRelease = errors.New("release is down")

type failingRelease struct{ app.InventoryGateway }

func (failingRelease) Release(context.Context, []app.Reservation) error { return errRelease }

var errRefund = errors.New("refund is down")

type failingRefund struct{ app.PaymentGateway }

func (failingRefund) Refund(context.Context, app.Charge) error { return errRefund }

// cancelAware fails a Release whose context is cancelled, as a networked
// inventory would.
type cancelAware struct{ app.InventoryGateway }

func (c cancelAware) Release(ctx context.Context, rs []app.Reservation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.InventoryGateway.Release(ctx, rs)
}

func mustSku(t *testing.T, s string) domain.Sku {
	t.Helper()
	k, err := domain.NewSku(s)
	if err != nil {
		t.Fatalf("NewSku(%q): %v", s, err)
	}
	return k
}
