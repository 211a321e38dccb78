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

// OrderRepository stores orders and their outbox.
type OrderRepository interface {
	// Save stores a new order and its outbox entries (the events to
	// publish for it, each naming the order) in one atomic step: a SQL
	// adapter writes both in one transaction, the memory one under one
	// lock. It stores both or, when it returns an error, neither. With no
	// events it stores the order alone.
	Save(ctx context.Context, o domain.Order, outbox []domain.OrderPlaced) error
	// Get returns the order with id, or a *domain.OrderNotFoundError.
	Get(ctx context.Context, id domain.OrderID) (domain.Order, error)
}

// OutboxEntry is an event Save stored with its order, waiting to be
// published. Seq is its place in the outbox: entries saved later have a
// higher Seq.
type OutboxEntry struct {
	Seq   uint64
	Event domain.OrderPlaced
}

// Outbox is the relay's side of the repository: the entries that Save
// wrote and nobody has yet marked sent.
type Outbox interface {
	// Pending returns up to limit unsent entries, lowest Seq first.
	Pending(ctx context.Context, limit int) ([]OutboxEntry, error)
	// MarkSent records that the entry seq was published, so Pending no
	// longer returns it. Marking an entry that is not pending is a no-op.
	MarkSent(ctx context.Context, seq uint64) error
}

// EventPublisher announces what happened. A consumer deduplicates on the
// event's EventID: with the outbox it may see an event more than once.
type EventPublisher interface {
	Publish(ctx context.Context, e domain.OrderPlaced) error
}
