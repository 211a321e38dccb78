package domain

import (
	"errors"
	"fmt"
)

// ValidationError reports input that breaks an invariant. Field names the
// offending input as the client spelled it ("customer_id",
// "lines[2].quantity"); it is empty when the constructor cannot know it (see
// ParseMoney), and callers that know the path set it with InField.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// InField returns err relabelled under path: a ValidationError gets Field
// path (or path.Field when it already names a field of its own, so
// "quantity" under "lines[2]" becomes "lines[2].quantity"). Other errors
// come back unchanged.
func InField(path string, err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field := path
	if ve.Field != "" {
		field = path + "." + ve.Field
	}
	return &ValidationError{Field: field, Reason: ve.Reason}
}

// OutOfStockError reports that a reservation asked for more units of Sku
// than were available. Nothing was reserved.
type OutOfStockError struct {
	Sku       Sku
	Requested int64
	Available int64
}

func (e *OutOfStockError) Error() string {
	return fmt.Sprintf("sku %s is out of stock: requested %d, available %d", e.Sku, e.Requested, e.Available)
}

// PaymentDeclinedError reports that the payment provider refused the charge.
// Nothing was charged.
type PaymentDeclinedError struct {
	Reason string
}

func (e *PaymentDeclinedError) Error() string {
	return "payment declined: " + e.Reason
}

// PersistenceError reports that the order repository failed. Err is the
// repository's own error, kept for logs; it is not meant for clients.
type PersistenceError struct {
	Op  string // "save" or "get"
	Err error
}

func (e *PersistenceError) Error() string {
	return "order repository " + e.Op + " failed: " + e.Err.Error()
}

func (e *PersistenceError) Unwrap() error { return e.Err }

// PublishError reports that the OrderPlaced event of a saved order could not
// be published. The order itself exists (see app.PlaceOrder for why it is
// kept), so OrderID tells the client which one.
type PublishError struct {
	OrderID OrderID
	Err     error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("order %s was placed but its OrderPlaced event was not published: %v", e.OrderID, e.Err)
}

func (e *PublishError) Unwrap() error { return e.Err }

// OrderNotFoundError reports that no order has the ID the client asked for.
// ID is the client's spelling, which need not be a valid OrderID.
type OrderNotFoundError struct {
	ID string
}

func (e *OrderNotFoundError) Error() string {
	return fmt.Sprintf("order %q not found", e.ID)
}
