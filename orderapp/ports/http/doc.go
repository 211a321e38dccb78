// Package httpport is orderapp's inbound HTTP port, on gorilla/mux:
//
//	POST /orders       place an order → 201, Location: /orders/{id}, receipt
//	GET  /orders/{id}  read it back  → 200, or 404
//	GET  /healthz      liveness      → 200
//	GET  /metrics      the handler given in Config, if any
//
// A request body is read whole, up to Config.MaxBodyBytes (413 past it),
// and decoded strictly: malformed JSON, unknown fields (matched by exact
// name) and wrong types are 400s whose message names the field as the
// client spelled it ("lines[1].quantity"). Every error is the seed's body
// {"type": ..., "message": ...}, and one function (classify) maps errors to
// statuses.
package httpport
