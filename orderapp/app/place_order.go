package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// MaxPaymentTokenLen bounds the payment token. The token is opaque to
// orderapp (only the payment provider reads it), so it is no domain type.
const MaxPaymentTokenLen = 256

// PlaceOrderCommand is what a client asks for, not yet validated.
type PlaceOrderCommand struct {
	CustomerID   string
	PaymentToken string
	Lines        []PlaceOrderLine
}

// PlaceOrderLine is one requested line; UnitPrice is a decimal string
// ("12.50").
type PlaceOrderLine struct {
	Sku       string
	Quantity  int64
	UnitPrice string
}

// Receipt is what a placed order returns.
type Receipt struct {
	OrderID    domain.OrderID
	CustomerID domain.CustomerID
	Total      domain.Money
}

// PlaceOrderDeps are the ports PlaceOrder drives. Inventory, Payment and
// Orders are required; Events is required with PublishDirect and unused
// with PublishOutbox.
type PlaceOrderDeps struct {
	Inventory InventoryGateway
	Payment   PaymentGateway
	Orders    OrderRepository
	Events    EventPublisher
	// Publish says how OrderPlaced gets out. Default: PublishOutbox.
	Publish PublishMode
	// Now stamps new orders. Default: time.Now.
	Now func() time.Time
}

// PlaceOrder is the use case of the seed: validate → reserve stock →
// charge → save → publish OrderPlaced, undoing earlier steps when a later
// one fails (a saga):
//
//   - reserve fails: nothing was done, nothing to undo;
//   - charge fails: the stock is released;
//   - save fails: the charge is refunded and the stock released. With
//     PublishOutbox the save also writes the order's OrderPlaced entry, in
//     the same atomic step, so a failed save leaves neither order nor
//     event, and a saved order always has its event on the way; a relay
//     publishes it later;
//   - publish fails (PublishDirect only): nothing is undone. The seed
//     publishes after the order is saved and compensates nothing there. So
//     the order stays saved, charged and reserved, GET finds it, and the
//     client gets a *domain.PublishError (503) naming the order.
//
// It is safe for concurrent use when its ports are.
type PlaceOrder struct {
	d PlaceOrderDeps
}

// NewPlaceOrder returns the use case. It panics when a port is nil: that is
// a wiring mistake, not a runtime condition.
func NewPlaceOrder(d PlaceOrderDeps) *PlaceOrder {
	if d.Inventory == nil || d.Payment == nil || d.Orders == nil {
		panic("app: NewPlaceOrder needs every port")
	}
	switch d.Publish {
	case PublishOutbox:
	case PublishDirect:
		if d.Events == nil {
			panic("app: NewPlaceOrder needs an EventPublisher to publish directly")
		}
	default:
		panic("app: NewPlaceOrder: unknown " + d.Publish.String())
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &PlaceOrder{d: d}
}

// Place runs the use case. Its errors, by what the client should learn:
// *domain.ValidationError, *domain.OutOfStockError,
// *domain.PaymentDeclinedError, *domain.PersistenceError,
// *domain.PublishError (PublishDirect only), found with errors.As; any
// other error is the service's fault. When undoing a step fails, a
// *CompensationError is joined after the cause.
func (uc *PlaceOrder) Place(ctx context.Context, cmd PlaceOrderCommand) (Receipt, error) {
	order, err := uc.validate(cmd)
	if err != nil {
		return Receipt{}, err
	}
	rs := reservations(order)
	if err := uc.d.Inventory.Reserve(ctx, rs); err != nil {
		return Receipt{}, fmt.Errorf("reserve stock: %w", err)
	}
	// Compensations must finish even when the client hangs up mid-saga:
	// a cancelled context there would leave stock held or money taken.
	undoCtx := context.WithoutCancel(ctx)
	charge, err := uc.d.Payment.Charge(ctx, ChargeRequest{
		OrderID:    order.ID(),
		CustomerID: order.CustomerID(),
		Amount:     order.Total(),
		Token:      cmd.PaymentToken,
	})
	if err != nil {
		return Receipt{}, errors.Join(fmt.Errorf("charge payment: %w", err), uc.release(undoCtx, rs))
	}
	event := domain.NewOrderPlaced(order)
	var outbox []domain.OrderPlaced
	if uc.d.Publish == PublishOutbox {
		outbox = []domain.OrderPlaced{event}
	}
	if err := uc.d.Orders.Save(ctx, order, outbox); err != nil {
		return Receipt{}, errors.Join(
			&domain.PersistenceError{Op: "save", Err: err},
			uc.refund(undoCtx, charge),
			uc.release(undoCtx, rs),
		)
	}
	if uc.d.Publish == PublishDirect {
		if err := uc.d.Events.Publish(ctx, event); err != nil {
			return Receipt{}, &domain.PublishError{OrderID: order.ID(), Err: err}
		}
	}
	return Receipt{OrderID: order.ID(), CustomerID: order.CustomerID(), Total: order.Total()}, nil
}

// validate builds the order from the command, naming each bad field as
// the client spelled it. It checks in the seed's order: customer, lines,
// payment token, then each line.
func (uc *PlaceOrder) validate(cmd PlaceOrderCommand) (domain.Order, error) {
	customer, err := domain.NewCustomerID(cmd.CustomerID)
	if err != nil {
		return domain.Order{}, err
	}
	if len(cmd.Lines) == 0 {
		return domain.Order{}, &domain.ValidationError{Field: "lines", Reason: "at least one line item is required"}
	}
	switch {
	case strings.TrimSpace(cmd.PaymentToken) == "":
		return domain.Order{}, &domain.ValidationError{Field: "payment_token", Reason: "is required"}
	case len(cmd.PaymentToken) > MaxPaymentTokenLen:
		return domain.Order{}, &domain.ValidationError{Field: "payment_token", Reason: fmt.Sprintf("must be at most %d bytes", MaxPaymentTokenLen)}
	}
	items := make([]domain.LineItem, 0, len(cmd.Lines))
	for i, l := range cmd.Lines {
		item, err := lineItem(l)
		if err != nil {
			return domain.Order{}, domain.InField(fmt.Sprintf("lines[%d]", i), err)
		}
		items = append(items, item)
	}
	return domain.NewOrder(domain.NewOrderID(), customer, items, uc.d.Now())
}

func lineItem(l PlaceOrderLine) (domain.LineItem, error) {
	sku, err := domain.NewSku(l.Sku)
	if err != nil {
		return domain.LineItem{}, err
	}
	price, err := domain.ParseMoney(l.UnitPrice)
	if err != nil {
		return domain.LineItem{}, domain.InField("unit_price", err)
	}
	return domain.NewLineItem(sku, l.Quantity, price)
}

// reservations adds up the lines per SKU, so an order naming one SKU on two
// lines asks inventory once for the sum.
func reservations(o domain.Order) []Reservation {
	var rs []Reservation
	at := make(map[domain.Sku]int)
	for _, l := range o.Lines() {
		if i, ok := at[l.Sku()]; ok {
			rs[i].Quantity += l.Quantity()
			continue
		}
		at[l.Sku()] = len(rs)
		rs = append(rs, Reservation{Sku: l.Sku(), Quantity: l.Quantity()})
	}
	return rs
}

func (uc *PlaceOrder) release(ctx context.Context, rs []Reservation) error {
	if err := uc.d.Inventory.Release(ctx, rs); err != nil {
		return &CompensationError{Step: "release stock", Err: err}
	}
	return nil
}

func (uc *PlaceOrder) refund(ctx context.Context, c Charge) error {
	if err := uc.d.Payment.Refund(ctx, c); err != nil {
		return &CompensationError{Step: "refund charge " + c.ID, Err: err}
	}
	return nil
}
