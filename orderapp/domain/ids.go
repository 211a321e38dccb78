package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Identifier limits. They bound what one request can make the service store.
const (
	MaxSkuLen        = 64
	MaxCustomerIDLen = 128
)

// OrderID identifies an order: a random (version 4) UUID. The zero value is
// the nil UUID, which no order has.
type OrderID struct {
	id uuid.UUID
}

// NewOrderID returns a fresh random OrderID.
func NewOrderID() OrderID {
	return OrderID{id: uuid.New()}
}

// ParseOrderID reads the canonical 36-character form
// ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", either case). The other forms
// uuid.Parse accepts (braces, "urn:uuid:", no hyphens) are refused, so one
// order has one URL.
func ParseOrderID(s string) (OrderID, error) {
	if len(s) != 36 {
		return OrderID{}, &ValidationError{Field: "order_id", Reason: "must be a UUID"}
	}
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return OrderID{}, &ValidationError{Field: "order_id", Reason: "must be a UUID"}
	}
	return OrderID{id: id}, nil
}

// String returns the canonical lower-case form.
func (id OrderID) String() string { return id.id.String() }

// IsZero reports whether id is the zero value.
func (id OrderID) IsZero() bool { return id.id == uuid.Nil }

// CustomerID identifies the customer placing an order: 1 to
// MaxCustomerIDLen bytes of UTF-8 text without control characters, not only
// spaces. It is kept exactly as given.
type CustomerID struct {
	s string
}

// NewCustomerID validates s as a CustomerID.
func NewCustomerID(s string) (CustomerID, error) {
	switch {
	case strings.TrimSpace(s) == "":
		return CustomerID{}, &ValidationError{Field: "customer_id", Reason: "is required"}
	case len(s) > MaxCustomerIDLen:
		return CustomerID{}, &ValidationError{Field: "customer_id", Reason: fmt.Sprintf("must be at most %d bytes", MaxCustomerIDLen)}
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return CustomerID{}, &ValidationError{Field: "customer_id", Reason: "must be UTF-8 text without control characters"}
	}
	return CustomerID{s: s}, nil
}

// String returns the ID as given.
func (c CustomerID) String() string { return c.s }

// Sku identifies a stock-keeping unit: 1 to MaxSkuLen visible ASCII
// characters ("ABC-123"). Excluding spaces and control characters keeps
// SKUs unambiguous in logs and in the -stock flag.
type Sku struct {
	s string
}

// NewSku validates s as a Sku.
func NewSku(s string) (Sku, error) {
	if s == "" {
		return Sku{}, &ValidationError{Field: "sku", Reason: "is required"}
	}
	if len(s) > MaxSkuLen {
		return Sku{}, &ValidationError{Field: "sku", Reason: fmt.Sprintf("must be at most %d characters", MaxSkuLen)}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return Sku{}, &ValidationError{Field: "sku", Reason: "must be visible ASCII characters without spaces"}
		}
	}
	return Sku{s: s}, nil
}

// String returns the SKU as given.
func (s Sku) String() string { return s.s }
