// Package app holds orderapp's use cases, one per file (PlaceOrder,
// GetOrder), and the outbound ports they drive (InventoryGateway,
// PaymentGateway, OrderRepository, EventPublisher, and Outbox, which the
// relay reads), declared here where they are used. It depends only on
// package domain; adapters implement the ports, and inbound ports (HTTP)
// call the use cases.
//
// The package knows nothing of idempotency keys: it is the plain service
// an idempotency layer is put in front of.
package app
