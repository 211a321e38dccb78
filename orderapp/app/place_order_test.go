package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func cmd(lines ...app.PlaceOrderLine) app.PlaceOrderCommand {
	return app.PlaceOrderCommand{CustomerID: "c1", PaymentToken: "tok_visa", Lines: lines}
}

func TestPlaceOrderSucceeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 5, "B": 1}, faults{})
	got, err := h.uc.Place(context.Background(), cmd(
		app.PlaceOrderLine{Sku: "A", Quantity: 2, UnitPrice: "12.50"},
		app.PlaceOrderLine{Sku: "B", Quantity: 1, UnitPrice: "0.99"},
		app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "0.01"},
	))
	if err != nil {
		t.Fatalf("Place error = %v, want nil", err)
	}
	if got.Total.String() != "26.00" || got.CustomerID.String() != "c1" || got.OrderID.IsZero() {
		t.Errorf("receipt = %+v, want total 26.00 for c1 with an order ID", got)
	}
	if want := (counts{Reservations: 1, Charges: 1, Saved: 1, Pending: 1}); h.counts() != want {
		t.Errorf("counts = %+v, want %+v", h.counts(), want)
	}
	if a, b := h.inv.Available(mustSku(t, "A")), h.inv.Available(mustSku(t, "B")); a != 2 || b != 0 {
		t.Errorf("stock A, B = %d, %d; want 2, 0", a, b)
	}
	saved, err := h.repo.Get(context.Background(), got.OrderID)
	if err != nil || !saved.CreatedAt().Equal(now) {
		t.Errorf("saved order = %v, %v; want it stamped %v", saved.CreatedAt(), err, now)
	}
	if p, err := h.repo.Pending(context.Background(), 10); err != nil || len(p) != 1 || p[0].Event != domain.NewOrderPlaced(saved) {
		t.Errorf("outbox = %+v, %v; want one OrderPlaced for %v", p, err, got.OrderID)
	}
}

// TestPlaceOrderPublishModes: with the outbox the event waits in the
// repository, saved with its order, and a publisher that is down fails
// nothing; direct publishes inline, and its failure is the seed's
// PublishError with the order kept.
func TestPlaceOrderPublishModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     faults
		wantErr    bool
		wantCounts counts
	}{
		{name: "outbox saves the event with the order", faults: faults{},
			wantCounts: counts{Reservations: 1, Charges: 1, Saved: 1, Pending: 1}},
		{name: "outbox never calls a failing publisher", faults: faults{publish: true},
			wantCounts: counts{Reservations: 1, Charges: 1, Saved: 1, Pending: 1}},
		{name: "direct publishes inline", faults: faults{direct: true},
			wantCounts: counts{Reservations: 1, Charges: 1, Saved: 1, Events: 1}},
		{name: "direct fails with the publisher", faults: faults{direct: true, publish: true}, wantErr: true,
			wantCounts: counts{Reservations: 1, Charges: 1, Saved: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, map[string]int64{"A": 3}, tc.faults)
			_, err := h.uc.Place(context.Background(), cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1"}))
			var pe *domain.PublishError
			if got := errors.As(err, &pe); got != tc.wantErr || (!tc.wantErr && err != nil) {
				t.Fatalf("Place error = %v, want a PublishError %t", err, tc.wantErr)
			}
			if got := h.counts(); got != tc.wantCounts {
				t.Errorf("counts = %+v, want %+v", got, tc.wantCounts)
			}
		})
	}
}

func TestPlaceOrderValidation(t *testing.T) {
	t.Parallel()
	good := app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1.00"}
	tooMany := make([]app.PlaceOrderLine, domain.MaxLines+1)
	for i := range tooMany {
		tooMany[i] = good
	}
	tests := []struct {
		name      string
		cmd       app.PlaceOrderCommand
		wantField string
	}{
		{name: "no customer", cmd: app.PlaceOrderCommand{PaymentToken: "t", Lines: []app.PlaceOrderLine{good}}, wantField: "customer_id"},
		{name: "no lines", cmd: app.PlaceOrderCommand{CustomerID: "c", PaymentToken: "t"}, wantField: "lines"},
		{name: "too many lines", cmd: app.PlaceOrderCommand{CustomerID: "c", PaymentToken: "t", Lines: tooMany}, wantField: "lines"},
		{name: "blank token", cmd: app.PlaceOrderCommand{CustomerID: "c", PaymentToken: " ", Lines: []app.PlaceOrderLine{good}}, wantField: "payment_token"},
		{name: "long token", cmd: app.PlaceOrderCommand{CustomerID: "c", PaymentToken: strings.Repeat("t", app.MaxPaymentTokenLen+1), Lines: []app.PlaceOrderLine{good}}, wantField: "payment_token"},
		{name: "no sku", cmd: cmd(good, app.PlaceOrderLine{Quantity: 1, UnitPrice: "1"}), wantField: "lines[1].sku"},
		{name: "zero quantity", cmd: cmd(app.PlaceOrderLine{Sku: "A", UnitPrice: "1"}), wantField: "lines[0].quantity"},
		{name: "negative quantity", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: -2, UnitPrice: "1"}), wantField: "lines[0].quantity"},
		{name: "absurd quantity", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1 << 40, UnitPrice: "1"}), wantField: "lines[0].quantity"},
		{name: "no price", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1}), wantField: "lines[0].unit_price"},
		{name: "free", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "0.00"}), wantField: "lines[0].unit_price"},
		{name: "negative price", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "-1.00"}), wantField: "lines[0].unit_price"},
		{name: "three decimals", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1.005"}), wantField: "lines[0].unit_price"},
		{name: "subtotal overflows", cmd: cmd(app.PlaceOrderLine{Sku: "A", Quantity: 2, UnitPrice: "92233720368547758.07"}), wantField: "lines[0]"},
		{name: "total overflows", cmd: cmd(
			app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "92233720368547758.07"},
			app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "92233720368547758.07"}), wantField: "lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, map[string]int64{"A": 5}, faults{})
			_, err := h.uc.Place(context.Background(), tc.cmd)
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Place error = %v, want a *ValidationError", err)
			}
			if ve.Field != tc.wantField {
				t.Errorf("Field = %q, want %q (error %v)", ve.Field, tc.wantField, err)
			}
			if got := h.counts(); got != (counts{}) {
				t.Errorf("counts after a validation error = %+v, want none", got)
			}
		})
	}
}

// TestPlaceOrderSaga checks every failing step: what the caller learns,
// what the adapters did, and that the stock ends where it should.
func TestPlaceOrderSaga(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     faults
		token      string
		quantity   int64
		wantErr    any // pointer to the error type errors.As must find
		wantComp   bool
		wantCounts counts
		wantStock  int64 // of 3 units of SKU A
	}{
		{name: "out of stock touches nothing", quantity: 4, wantErr: new(*domain.OutOfStockError),
			wantCounts: counts{}, wantStock: 3},
		{name: "declined payment releases the stock and charges nothing", token: memory.DeclineToken, quantity: 2,
			wantErr: new(*domain.PaymentDeclinedError), wantCounts: counts{Reservations: 1, Releases: 1}, wantStock: 3},
		{name: "failed save refunds and releases", faults: faults{save: true}, quantity: 2,
			wantErr:    new(*domain.PersistenceError),
			wantCounts: counts{Reservations: 1, Releases: 1, Charges: 1, Refunds: 1}, wantStock: 3},
		{name: "failed save with direct publishing refunds and releases", faults: faults{save: true, direct: true}, quantity: 2,
			wantErr:    new(*domain.PersistenceError),
			wantCounts: counts{Reservations: 1, Releases: 1, Charges: 1, Refunds: 1}, wantStock: 3},
		{name: "failed direct publish keeps the order", faults: faults{publish: true, direct: true}, quantity: 2,
			wantErr: new(*domain.PublishError), wantCounts: counts{Reservations: 1, Charges: 1, Saved: 1}, wantStock: 1},
		{name: "a failed release is reported after the decline", faults: faults{release: true}, token: memory.DeclineToken, quantity: 2,
			wantErr: new(*domain.PaymentDeclinedError), wantComp: true, wantCounts: counts{Reservations: 1}, wantStock: 1},
		{name: "a failed refund still releases", faults: faults{save: true, refund: true}, quantity: 2,
			wantErr: new(*domain.PersistenceError), wantComp: true,
			wantCounts: counts{Reservations: 1, Releases: 1, Charges: 1}, wantStock: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, map[string]int64{"A": 3}, tc.faults)
			c := cmd(app.PlaceOrderLine{Sku: "A", Quantity: tc.quantity, UnitPrice: "5.00"})
			if tc.token != "" {
				c.PaymentToken = tc.token
			}
			_, err := h.uc.Place(context.Background(), c)
			if !errors.As(err, tc.wantErr) {
				t.Fatalf("Place error = %v, want %T", err, tc.wantErr)
			}
			var ce *app.CompensationError
			if got := errors.As(err, &ce); got != tc.wantComp {
				t.Errorf("CompensationError in %v: %t, want %t", err, got, tc.wantComp)
			}
			if got := h.counts(); got != tc.wantCounts {
				t.Errorf("counts = %+v, want %+v", got, tc.wantCounts)
			}
			if got := h.inv.Available(mustSku(t, "A")); got != tc.wantStock {
				t.Errorf("stock of A = %d, want %d", got, tc.wantStock)
			}
		})
	}
}

func TestPlaceOrderPublishErrorNamesTheSavedOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 3}, faults{publish: true, direct: true})
	_, err := h.uc.Place(context.Background(), cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1"}))
	var pe *domain.PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("Place error = %v, want a *PublishError", err)
	}
	if _, err := h.repo.Get(context.Background(), pe.OrderID); err != nil {
		t.Errorf("Get(%v) of the order named by the PublishError: %v, want it saved", pe.OrderID, err)
	}
}

// TestPlaceOrderCompensatesForAGoneCaller checks that compensation runs on
// a context the caller's cancellation does not reach.
func TestPlaceOrderCompensatesForAGoneCaller(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 3}, faults{})
	uc := app.NewPlaceOrder(app.PlaceOrderDeps{
		Inventory: cancelAware{InventoryGateway: h.inv},
		Payment:   h.pay, Orders: h.repo, Events: h.events,
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := cmd(app.PlaceOrderLine{Sku: "A", Quantity: 3, UnitPrice: "1"})
	c.PaymentToken = memory.DeclineToken
	_, err := uc.Place(ctx, c)
	var ce *app.CompensationError
	if errors.As(err, &ce) {
		t.Fatalf("Place error = %v, want no compensation failure", err)
	}
	if got := h.inv.Available(mustSku(t, "A")); got != 3 {
		t.Errorf("stock of A = %d, want 3 (released)", got)
	}
}

func TestNewPlaceOrderDefaultsItsClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 1}, faults{})
	uc := app.NewPlaceOrder(app.PlaceOrderDeps{Inventory: h.inv, Payment: h.pay, Orders: h.repo, Events: h.events})
	before := time.Now()
	r, err := uc.Place(context.Background(), cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1"}))
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.repo.Get(context.Background(), r.OrderID)
	if err != nil || o.CreatedAt().Before(before) {
		t.Errorf("CreatedAt = %v, %v; want at or after %v", o.CreatedAt(), err, before)
	}
}

func TestNewPlaceOrderPanicsOnWiringMistakes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, faults{})
	tests := []struct {
		name string
		deps app.PlaceOrderDeps
	}{
		{name: "no ports", deps: app.PlaceOrderDeps{}},
		{name: "direct without a publisher", deps: app.PlaceOrderDeps{Inventory: h.inv, Payment: h.pay, Orders: h.repo, Publish: app.PublishDirect}},
		{name: "unknown mode", deps: app.PlaceOrderDeps{Inventory: h.inv, Payment: h.pay, Orders: h.repo, Events: h.events, Publish: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewPlaceOrder(%+v) did not panic", tc.deps)
				}
			}()
			app.NewPlaceOrder(tc.deps)
		})
	}
}

func TestNewPlaceOrderOutboxNeedsNoPublisher(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 1}, faults{})
	uc := app.NewPlaceOrder(app.PlaceOrderDeps{Inventory: h.inv, Payment: h.pay, Orders: h.repo})
	if _, err := uc.Place(context.Background(), cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "1"})); err != nil {
		t.Errorf("Place error = %v, want nil", err)
	}
}
