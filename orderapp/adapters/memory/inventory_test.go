package memory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func sku(t *testing.T, s string) domain.Sku {
	t.Helper()
	k, err := domain.NewSku(s)
	if err != nil {
		t.Fatalf("NewSku(%q): %v", s, err)
	}
	return k
}

func TestInventoryReserve(t *testing.T) {
	t.Parallel()
	a, b, c := sku(t, "A"), sku(t, "B"), sku(t, "C")
	tests := []struct {
		name         string
		reserve      []app.Reservation
		wantShort    *domain.OutOfStockError // nil: success
		wantA, wantB int64
		wantC        int64
		wantReserved int64
	}{
		{name: "fits", reserve: []app.Reservation{{Sku: a, Quantity: 2}, {Sku: b, Quantity: 1}}, wantA: 0, wantB: 0, wantC: 7, wantReserved: 1},
		{name: "unlisted sku uses the unlisted level", reserve: []app.Reservation{{Sku: c, Quantity: 7}}, wantA: 2, wantB: 1, wantC: 0, wantReserved: 1},
		{name: "one short sku takes nothing", reserve: []app.Reservation{{Sku: a, Quantity: 1}, {Sku: b, Quantity: 2}},
			wantShort: &domain.OutOfStockError{Sku: b, Requested: 2, Available: 1}, wantA: 2, wantB: 1, wantC: 7},
		{name: "a sku twice is summed", reserve: []app.Reservation{{Sku: a, Quantity: 2}, {Sku: a, Quantity: 1}},
			wantShort: &domain.OutOfStockError{Sku: a, Requested: 3, Available: 2}, wantA: 2, wantB: 1, wantC: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := memory.NewInventory(map[domain.Sku]int64{a: 2, b: 1}, 7)
			if err != nil {
				t.Fatal(err)
			}
			err = inv.Reserve(context.Background(), tc.reserve)
			if tc.wantShort == nil && err != nil {
				t.Fatalf("Reserve error = %v, want nil", err)
			}
			if tc.wantShort != nil {
				var got *domain.OutOfStockError
				if !errors.As(err, &got) || *got != *tc.wantShort {
					t.Fatalf("Reserve error = %v, want %v", err, tc.wantShort)
				}
			}
			for _, lv := range []struct {
				sku  domain.Sku
				want int64
			}{{a, tc.wantA}, {b, tc.wantB}, {c, tc.wantC}} {
				if got := inv.Available(lv.sku); got != lv.want {
					t.Errorf("Available(%s) = %d, want %d", lv.sku, got, lv.want)
				}
			}
			if got := inv.Reservations(); got != tc.wantReserved {
				t.Errorf("Reservations() = %d, want %d", got, tc.wantReserved)
			}
		})
	}
}

func TestInventoryRelease(t *testing.T) {
	t.Parallel()
	a := sku(t, "A")
	inv, err := memory.NewInventory(map[domain.Sku]int64{a: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	rs := []app.Reservation{{Sku: a, Quantity: 3}}
	if err := inv.Reserve(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	if err := inv.Release(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	if got := inv.Available(a); got != 5 {
		t.Errorf("Available after reserve and release = %d, want 5", got)
	}
	if got := inv.Releases(); got != 1 {
		t.Errorf("Releases() = %d, want 1", got)
	}
}

func TestInventoryRefusesBadInput(t *testing.T) {
	t.Parallel()
	a := sku(t, "A")
	tests := []struct {
		name  string
		stock map[domain.Sku]int64
		other int64
	}{
		{name: "negative level", stock: map[domain.Sku]int64{a: -1}},
		{name: "negative unlisted level", other: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := memory.NewInventory(tc.stock, tc.other); err == nil {
				t.Error("NewInventory error = nil, want an error")
			}
		})
	}
	inv, _ := memory.NewInventory(nil, 5)
	for _, q := range []int64{0, -3} {
		if err := inv.Reserve(context.Background(), []app.Reservation{{Sku: a, Quantity: q}}); err == nil {
			t.Errorf("Reserve(quantity %d) error = nil, want an error", q)
		}
		if err := inv.Release(context.Background(), []app.Reservation{{Sku: a, Quantity: q}}); err == nil {
			t.Errorf("Release(quantity %d) error = nil, want an error", q)
		}
	}
	if got := inv.Available(a); got != 5 {
		t.Errorf("Available after refused calls = %d, want 5", got)
	}
}

// TestInventoryNeverOversells races many single-unit reservations for a few
// units: exactly the stock is reserved, the rest are out of stock.
func TestInventoryNeverOversells(t *testing.T) {
	t.Parallel()
	const stock, buyers = 5, 64
	a := sku(t, "A")
	inv, err := memory.NewInventory(map[domain.Sku]int64{a: stock}, 0)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, buyers)
	var wg sync.WaitGroup
	for range buyers {
		wg.Go(func() {
			errs <- inv.Reserve(context.Background(), []app.Reservation{{Sku: a, Quantity: 1}})
		})
	}
	wg.Wait()
	close(errs)
	var ok, short int
	for err := range errs {
		var oos *domain.OutOfStockError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &oos):
			short++
		default:
			t.Errorf("Reserve error = %v, want nil or out of stock", err)
		}
	}
	if ok != stock || short != buyers-stock {
		t.Errorf("reserved %d, out of stock %d; want %d, %d", ok, short, stock, buyers-stock)
	}
	if got := inv.Available(a); got != 0 {
		t.Errorf("Available = %d, want 0", got)
	}
}
