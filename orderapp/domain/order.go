package domain

import (
	"fmt"
	"time"
)

// Order limits. A quantity or line count past them is a client mistake,
// not a big order, and the bounds keep every total far from overflow in
// practice (the arithmetic is checked all the same).
const (
	MaxQuantity = 1_000_000
	MaxLines    = 100
)

// LineItem is one line of an order: Quantity units of Sku at UnitPrice
// each. Quantity is 1 to MaxQuantity and UnitPrice is above zero.
type LineItem struct {
	sku       Sku
	quantity  int64
	unitPrice Money
	subtotal  Money
}

// NewLineItem validates one line. Errors name the line's own fields
// ("quantity", "unit_price"); the caller places them with InField.
func NewLineItem(sku Sku, quantity int64, unitPrice Money) (LineItem, error) {
	if sku == (Sku{}) {
		return LineItem{}, &ValidationError{Field: "sku", Reason: "is required"}
	}
	if quantity < 1 || quantity > MaxQuantity {
		return LineItem{}, &ValidationError{Field: "quantity", Reason: fmt.Sprintf("must be an integer from 1 to %d", MaxQuantity)}
	}
	if unitPrice.IsZero() {
		return LineItem{}, &ValidationError{Field: "unit_price", Reason: "must be greater than 0"}
	}
	subtotal, err := unitPrice.Times(quantity)
	if err != nil {
		return LineItem{}, &ValidationError{Reason: "quantity × unit_price is too large"}
	}
	return LineItem{sku: sku, quantity: quantity, unitPrice: unitPrice, subtotal: subtotal}, nil
}

// Sku returns the line's SKU.
func (l LineItem) Sku() Sku { return l.sku }

// Quantity returns how many units the line orders.
func (l LineItem) Quantity() int64 { return l.quantity }

// UnitPrice returns the price of one unit.
func (l LineItem) UnitPrice() Money { return l.unitPrice }

// Subtotal returns Quantity × UnitPrice.
func (l LineItem) Subtotal() Money { return l.subtotal }

// Order is a customer's order: 1 to MaxLines line items and their total.
// It is immutable; accessors return copies.
type Order struct {
	id        OrderID
	customer  CustomerID
	lines     []LineItem
	total     Money
	createdAt time.Time
}

// NewOrder validates and assembles an order. The same SKU may appear on
// several lines; inventory adds them up.
func NewOrder(id OrderID, customer CustomerID, lines []LineItem, createdAt time.Time) (Order, error) {
	if id.IsZero() {
		return Order{}, &ValidationError{Field: "order_id", Reason: "is required"}
	}
	if customer == (CustomerID{}) {
		return Order{}, &ValidationError{Field: "customer_id", Reason: "is required"}
	}
	if len(lines) == 0 {
		return Order{}, &ValidationError{Field: "lines", Reason: "at least one line item is required"}
	}
	if len(lines) > MaxLines {
		return Order{}, &ValidationError{Field: "lines", Reason: fmt.Sprintf("must have at most %d line items", MaxLines)}
	}
	var total Money
	for i, l := range lines {
		if l.quantity == 0 {
			return Order{}, &ValidationError{Field: fmt.Sprintf("lines[%d]", i), Reason: "is not a valid line item"}
		}
		var err error
		if total, err = total.Add(l.subtotal); err != nil {
			return Order{}, &ValidationError{Field: "lines", Reason: "order total is too large"}
		}
	}
	return Order{
		id:        id,
		customer:  customer,
		lines:     append([]LineItem(nil), lines...),
		total:     total,
		createdAt: createdAt,
	}, nil
}

// ID returns the order's ID.
func (o Order) ID() OrderID { return o.id }

// CustomerID returns who placed the order.
func (o Order) CustomerID() CustomerID { return o.customer }

// Lines returns a copy of the order's line items.
func (o Order) Lines() []LineItem { return append([]LineItem(nil), o.lines...) }

// Total returns the sum of the lines' subtotals.
func (o Order) Total() Money { return o.total }

// CreatedAt returns when the order was placed.
func (o Order) CreatedAt() time.Time { return o.createdAt }

// OrderPlaced is the event published once an order is saved.
type OrderPlaced struct {
	OrderID    OrderID
	CustomerID CustomerID
	Total      Money
	At         time.Time
}

// EventID is the event's stable identity, the key a consumer deduplicates
// on: the order's ID, since an order is placed once. Delivery is at least
// once, so a consumer may see one EventID more than once and must take the
// repeats for one event.
func (e OrderPlaced) EventID() string { return e.OrderID.String() }

// NewOrderPlaced returns the event announcing o.
func NewOrderPlaced(o Order) OrderPlaced {
	return OrderPlaced{OrderID: o.id, CustomerID: o.customer, Total: o.total, At: o.createdAt}
}
