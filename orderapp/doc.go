// Package orderapp assembles the demo order service (the seed's
// PlaceOrder service, without any idempotency) from its parts: domain, app
// (use cases and ports), adapters/memory and ports/http. New builds the
// whole service in process as an http.Handler, so cmd/orderapp can serve
// it and other packages' tests can put it behind the idempotency layer and
// count, through Counts or the metrics registry, how many times an order
// was really charged, reserved and saved.
//
// Each order is saved with its OrderPlaced event in one atomic step (the
// transactional outbox), and a relay (package relay), running from New
// until App.Shutdown, delivers the events at least once; Options.Publish
// PublishDirect restores the seed's inline publish instead.
//
// Knobs in Options reach every path of the saga: stock levels (409),
// payment token "tok_decline" (402), FailPersist (500 after a refund and a
// release), FailPublish (with the outbox: 201, the events wait; direct:
// 503, the order kept) and Latency (a slow request whose retries overlap
// it).
package orderapp
