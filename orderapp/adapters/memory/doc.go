// Package memory implements orderapp's outbound ports in process memory:
// Inventory (stock levels), Payment (a fake provider that declines
// DeclineToken), OrderRepository (orders and their outbox, under one lock)
// and Publisher. Each is safe for concurrent use and counts what it
// actually did (reservations, releases, charges, refunds, saves, pending
// entries, events), which is what orderapp's metrics report.
//
// SlowInventory, FailingSaves and FailingPublisher wrap them to inject
// latency and failures, so tests and the demo can reach every path of the
// PlaceOrder saga.
package memory
