package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// TestSaveWritesTheOrderAndItsEntryTogether: a save stores the order and
// its outbox entry, or, when it fails, neither.
func TestSaveWritesTheOrderAndItsEntryTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name        string
		outbox      func(o, other domain.Order) []domain.OrderPlaced
		saveTwice   bool
		wantErr     bool
		wantOrder   bool
		wantPending int64
	}{
		{name: "order and entry", outbox: func(o, _ domain.Order) []domain.OrderPlaced {
			return []domain.OrderPlaced{domain.NewOrderPlaced(o)}
		}, wantOrder: true, wantPending: 1},
		{name: "order alone", outbox: func(domain.Order, domain.Order) []domain.OrderPlaced { return nil },
			wantOrder: true, wantPending: 0},
		{name: "an entry for another order stores neither", outbox: func(o, other domain.Order) []domain.OrderPlaced {
			return []domain.OrderPlaced{domain.NewOrderPlaced(o), domain.NewOrderPlaced(other)}
		}, wantErr: true},
		{name: "a second save of one ID adds no entry", outbox: func(o, _ domain.Order) []domain.OrderPlaced {
			return []domain.OrderPlaced{domain.NewOrderPlaced(o)}
		}, saveTwice: true, wantErr: true, wantOrder: true, wantPending: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := memory.NewOrderRepository()
			o, other := order(t), order(t)
			if tc.saveTwice {
				if err := r.Save(ctx, o, tc.outbox(o, other)); err != nil {
					t.Fatalf("first Save error = %v, want nil", err)
				}
			}
			err := r.Save(ctx, o, tc.outbox(o, other))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Save error = %v, want error %t", err, tc.wantErr)
			}
			if _, err := r.Get(ctx, o.ID()); (err == nil) != tc.wantOrder {
				t.Errorf("Get after Save: error %v, want the order stored %t", err, tc.wantOrder)
			}
			if got := r.PendingCount(); got != tc.wantPending {
				t.Errorf("PendingCount() = %d, want %d", got, tc.wantPending)
			}
		})
	}
}

func TestOutboxPendingAndMarkSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := memory.NewOrderRepository()
	var saved []domain.OrderPlaced
	for range 3 {
		o := order(t)
		e := domain.NewOrderPlaced(o)
		if err := r.Save(ctx, o, []domain.OrderPlaced{e}); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, e)
	}
	got, err := r.Pending(ctx, 2)
	if err != nil || len(got) != 2 || got[0].Event != saved[0] || got[1].Event != saved[1] || got[0].Seq >= got[1].Seq {
		t.Fatalf("Pending(2) = %+v, %v; want the first two saved, in order", got, err)
	}
	for _, seq := range []uint64{got[1].Seq, got[1].Seq, 999} { // twice, and one never written: no-ops
		if err := r.MarkSent(ctx, seq); err != nil {
			t.Fatalf("MarkSent(%d) error = %v, want nil", seq, err)
		}
	}
	left, err := r.Pending(ctx, 10)
	if err != nil || len(left) != 2 || left[0].Event != saved[0] || left[1].Event != saved[2] {
		t.Errorf("Pending after marking the second sent = %+v, %v; want the first and third", left, err)
	}
	if n := r.PendingCount(); n != 2 {
		t.Errorf("PendingCount() = %d, want 2", n)
	}
	if none, err := r.Pending(ctx, 0); err != nil || len(none) != 0 {
		t.Errorf("Pending(0) = %+v, %v; want none", none, err)
	}
}

// TestSaveIsAtomicToConcurrentReaders saves orders while readers look:
// an entry they see always has its order, and an order they see always has
// its entry (nothing marks entries sent here).
func TestSaveIsAtomicToConcurrentReaders(t *testing.T) {
	t.Parallel()
	const writers, perWriter, readers = 4, 50, 2
	ctx := context.Background()
	r := memory.NewOrderRepository()
	orders := make([]domain.Order, writers*perWriter)
	for i := range orders {
		orders[i] = order(t)
	}
	errs := make(chan error, writers*perWriter+readers)
	done := make(chan struct{})
	var readersWG sync.WaitGroup
	for range readers {
		readersWG.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := checkBothOrNeither(ctx, r, orders); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Go(func() {
			for _, o := range orders[w*perWriter : (w+1)*perWriter] {
				if err := r.Save(ctx, o, []domain.OrderPlaced{domain.NewOrderPlaced(o)}); err != nil {
					errs <- err
				}
			}
		})
	}
	writersWG.Wait()
	close(done)
	readersWG.Wait()
	errs <- checkBothOrNeither(ctx, r, orders)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := r.PendingCount(); n != int64(len(orders)) {
		t.Errorf("PendingCount() = %d, want %d", n, len(orders))
	}
}

// checkBothOrNeither reads the outbox, then every order: each entry read
// must name a stored order, and each order found must have an entry read
// then or written since (so it shows in a second read).
func checkBothOrNeither(ctx context.Context, r *memory.OrderRepository, orders []domain.Order) error {
	before, _ := r.Pending(ctx, len(orders))
	for _, e := range before {
		if _, err := r.Get(ctx, e.Event.OrderID); err != nil {
			return fmt.Errorf("entry %d for order %s without its order: %v", e.Seq, e.Event.OrderID, err)
		}
	}
	var found []domain.OrderID
	for _, o := range orders {
		if _, err := r.Get(ctx, o.ID()); err == nil {
			found = append(found, o.ID())
		}
	}
	after, _ := r.Pending(ctx, len(orders))
	entries := make(map[domain.OrderID]bool, len(after))
	for _, e := range after {
		entries[e.Event.OrderID] = true
	}
	for _, id := range found {
		if !entries[id] {
			return fmt.Errorf("order %s without its outbox entry", id)
		}
	}
	return nil
}
