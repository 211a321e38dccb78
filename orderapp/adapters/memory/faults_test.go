package memory_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func TestFailingSaves(t *testing.T) {
	t.Parallel()
	repo := memory.NewOrderRepository()
	failing := memory.FailingSaves{OrderRepository: repo}
	o := order(t)
	if err := failing.Save(context.Background(), o, []domain.OrderPlaced{domain.NewOrderPlaced(o)}); !errors.Is(err, memory.ErrInjected) {
		t.Fatalf("Save error = %v, want ErrInjected", err)
	}
	if got, pending := repo.Saved(), repo.PendingCount(); got != 0 || pending != 0 {
		t.Errorf("Saved(), PendingCount() = %d, %d; want 0, 0", got, pending)
	}
	if _, err := failing.Get(context.Background(), o.ID()); err == nil {
		t.Error("Get of an order whose save failed: error = nil, want not found")
	}
}

func TestFailingPublisher(t *testing.T) {
	t.Parallel()
	err := memory.FailingPublisher{}.Publish(context.Background(), domain.OrderPlaced{})
	if !errors.Is(err, memory.ErrInjected) {
		t.Errorf("Publish error = %v, want ErrInjected", err)
	}
}

func TestSlowInventory(t *testing.T) {
	t.Parallel()
	const delay = 3 * time.Second
	tests := []struct {
		name       string
		cancelled  bool
		wantErr    error
		wantWait   time.Duration
		wantOnHand int64
	}{
		{name: "waits then reserves", wantWait: delay, wantOnHand: 0},
		{name: "a cancelled caller reserves nothing", cancelled: true, wantErr: context.Canceled, wantWait: 0, wantOnHand: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				a := sku(t, "A")
				inv, _ := memory.NewInventory(map[domain.Sku]int64{a: 1}, 0)
				slow := memory.SlowInventory{InventoryGateway: inv, Delay: delay}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tc.cancelled {
					cancel()
				}
				start := time.Now()
				err := slow.Reserve(ctx, []app.Reservation{{Sku: a, Quantity: 1}})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Reserve error = %v, want %v", err, tc.wantErr)
				}
				if got := time.Since(start); got != tc.wantWait {
					t.Errorf("Reserve took %v, want %v", got, tc.wantWait)
				}
				if got := inv.Available(a); got != tc.wantOnHand {
					t.Errorf("Available = %d, want %d", got, tc.wantOnHand)
				}
			})
		})
	}
}
