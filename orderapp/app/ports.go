package app

import (
	"context"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// Reservation asks for Quantity units of Sku.
type Reservation struct {
	Sku      domain.Sku
	Quantity int64
}

// InventoryGateway holds stock.
type InventoryGateway interface {
	// Reserve takes every reservation or none: when one SKU is short it
	// returns a *domain.OutOfStockError and holds nothing.
	Reserve(ctx context.Context, rs []Reservation) error
	// Release gives back what an earlier Reserve took.
	Release(ctx context.Context, rs []Reservation) error
}

// ChargeRequest asks to charge Amount to the payment method behind Token.
type ChargeRequest struct {
	OrderID    domain.OrderID
	CustomerID domain.CustomerID
	Amount     domain.Money
	Token      string
}

// Charge is a payment that went through; ID names it for a refund.
type Charge struct {
	ID     string
	Amount domain.Money
}

// PaymentGateway moves money.
type PaymentGateway interface {
	// Charge takes the money or returns an error; a refusal is a
	// *domain.PaymentDeclinedError, and then nothing was charged.
	Charge(ctx context.Context, req ChargeRequest) (Charge, error)
	// Refund gives back a whole charge.
	Refund(ctx context.Context, c Charge) error
}

// OrderRepository stores orders.
type OrderRepository interface {
	// Save stores a new order.
	Save(ctx context.Context, o domain.Order) error
	// Get returns the order with id, or a *domain.OrderNotFoundError.
	Get(ctx context.Context, id domain.OrderID) (domain.Order, error)
}

// EventPublisher announces what happened.
type EventPublisher interface {
	Publish(ctx context.Context, e domain.OrderPlaced) error
}
