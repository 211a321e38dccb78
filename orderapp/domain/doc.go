// Package domain holds the order model of orderapp: Money, the identifiers
// (OrderID, CustomerID, Sku), LineItem, Order and the OrderPlaced event, and
// the errors every layer reports (ValidationError, OutOfStockError,
// PaymentDeclinedError, PersistenceError, PublishError, OrderNotFoundError).
//
// Every value is built by a constructor that enforces its invariants, so a
// value that exists is valid: an Order always has at least one line, every
// quantity is in range, and its total never overflowed. The package does no
// I/O and reads no clock; callers pass times in.
package domain
