package app

import (
	"context"
	"errors"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// GetOrder is the use case that reads one order back.
type GetOrder struct {
	orders OrderRepository
}

// NewGetOrder returns the use case. It panics when orders is nil.
func NewGetOrder(orders OrderRepository) *GetOrder {
	if orders == nil {
		panic("app: NewGetOrder needs an OrderRepository")
	}
	return &GetOrder{orders: orders}
}

// Get returns the order named id. An id that is not an OrderID names no
// order, so it is a *domain.OrderNotFoundError like an unknown one; a
// failing repository is a *domain.PersistenceError.
func (uc *GetOrder) Get(ctx context.Context, id string) (domain.Order, error) {
	oid, err := domain.ParseOrderID(id)
	if err != nil {
		return domain.Order{}, &domain.OrderNotFoundError{ID: id}
	}
	o, err := uc.orders.Get(ctx, oid)
	if err != nil {
		if nf := (*domain.OrderNotFoundError)(nil); errors.As(err, &nf) {
			return domain.Order{}, nf
		}
		return domain.Order{}, &domain.PersistenceError{Op: "get", Err: err}
	}
	return o, nil
}
