package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

var errRepo = errors.New("repository is down")

type brokenRepo struct{ app.OrderRepository }

func (brokenRepo) Get(context.Context, domain.OrderID) (domain.Order, error) {
	return domain.Order{}, errRepo
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]int64{"A": 1}, faults{})
	placed, err := h.uc.Place(context.Background(), cmd(app.PlaceOrderLine{Sku: "A", Quantity: 1, UnitPrice: "2.00"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		repo    app.OrderRepository
		id      string
		wantErr any // nil: found
	}{
		{name: "found", repo: h.repo, id: placed.OrderID.String()},
		{name: "unknown", repo: h.repo, id: domain.NewOrderID().String(), wantErr: new(*domain.OrderNotFoundError)},
		{name: "not an order ID", repo: h.repo, id: "../etc/passwd", wantErr: new(*domain.OrderNotFoundError)},
		{name: "broken repository", repo: brokenRepo{}, id: placed.OrderID.String(), wantErr: new(*domain.PersistenceError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := app.NewGetOrder(tc.repo).Get(context.Background(), tc.id)
			if tc.wantErr != nil {
				if !errors.As(err, tc.wantErr) {
					t.Fatalf("Get(%q) error = %v, want %T", tc.id, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.ID() != placed.OrderID || got.Total() != placed.Total {
				t.Errorf("Get(%q) = %v %s, %v; want %v %s, nil", tc.id, got.ID(), got.Total(), err, placed.OrderID, placed.Total)
			}
		})
	}
}
