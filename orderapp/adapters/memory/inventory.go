package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

var _ app.InventoryGateway = (*Inventory)(nil)

// Inventory holds stock levels per SKU. SKUs it was not given start at the
// unlisted level the first time they are used.
type Inventory struct {
	mu       sync.Mutex
	levels   map[domain.Sku]int64
	unlisted int64

	reservations atomic.Int64
	releases     atomic.Int64
}

// NewInventory returns an inventory holding stock, and unlisted units of
// every other SKU. Negative levels are an error.
func NewInventory(stock map[domain.Sku]int64, unlisted int64) (*Inventory, error) {
	if unlisted < 0 {
		return nil, fmt.Errorf("memory: unlisted stock %d is negative", unlisted)
	}
	levels := make(map[domain.Sku]int64, len(stock))
	for sku, n := range stock {
		if n < 0 {
			return nil, fmt.Errorf("memory: stock of %s is negative (%d)", sku, n)
		}
		levels[sku] = n
	}
	return &Inventory{levels: levels, unlisted: unlisted}, nil
}

// Reserve takes every reservation or none, under one lock, so concurrent
// orders for the last units never oversell. A SKU listed twice is summed.
func (inv *Inventory) Reserve(_ context.Context, rs []app.Reservation) error {
	if err := checkQuantities(rs); err != nil {
		return err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	want := make(map[domain.Sku]int64, len(rs))
	for _, r := range rs {
		want[r.Sku] += r.Quantity
		if have := inv.level(r.Sku); want[r.Sku] > have {
			return &domain.OutOfStockError{Sku: r.Sku, Requested: want[r.Sku], Available: have}
		}
	}
	for sku, n := range want {
		inv.levels[sku] = inv.level(sku) - n
	}
	inv.reservations.Add(1)
	return nil
}

// Release puts the reserved units back.
func (inv *Inventory) Release(_ context.Context, rs []app.Reservation) error {
	if err := checkQuantities(rs); err != nil {
		return err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for _, r := range rs {
		inv.levels[r.Sku] = inv.level(r.Sku) + r.Quantity
	}
	inv.releases.Add(1)
	return nil
}

// level returns the units of sku on hand; inv.mu must be held.
func (inv *Inventory) level(sku domain.Sku) int64 {
	if n, ok := inv.levels[sku]; ok {
		return n
	}
	return inv.unlisted
}

// checkQuantities refuses what no use case sends: a non-positive quantity
// would turn a reservation into a release.
func checkQuantities(rs []app.Reservation) error {
	for _, r := range rs {
		if r.Quantity <= 0 {
			return fmt.Errorf("memory: quantity of %s is %d, want > 0", r.Sku, r.Quantity)
		}
	}
	return nil
}

// Available returns the units of sku on hand now.
func (inv *Inventory) Available(sku domain.Sku) int64 {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.level(sku)
}

// Reservations returns how many Reserve calls took stock.
func (inv *Inventory) Reservations() int64 { return inv.reservations.Load() }

// Releases returns how many Release calls gave stock back.
func (inv *Inventory) Releases() int64 { return inv.releases.Load() }
