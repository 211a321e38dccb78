// Package orderapp assembles the demo order service of DESIGN §6 (the seed's
// PlaceOrder service, without any idempotency) from its parts: domain, app
// (use cases and ports), adapters/memory and ports/http. New builds the
// whole service in process as an http.Handler, so cmd/orderapp can serve
// it and other packages' tests can put it behind the idempotency layer and
// count, through Counts or the metrics registry, how many times an order
// was really charged, reserved and saved.
//
// Knobs in Options reach every path of the saga: stock levels (409),
// payment token "tok_decline" (402), FailPersist (500 after a refund and a
// release), FailPublish (503, the order kept) and Latency (a slow request
// whose retries overlap it).
package orderapp
