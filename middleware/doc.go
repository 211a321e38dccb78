// Package middleware is the HTTP adapter of idemproxy: a net/http middleware
// that makes unsafe requests safe to retry. A client sends an Idempotency-Key
// header; the first request with a key runs the wrapped handler once, and
// every retry with the same key (from the same caller, for the same request)
// gets the first request's stored response instead of a second execution.
//
// The lifecycle of a covered request (docs/architecture.md has the whole of it):
//
//  1. Match: only configured methods on configured routes are covered; every
//     other request passes through untouched, with no store access.
//  2. Key: the Idempotency-Key header, as an RFC 8941 sf-string ("abc") or
//     bare (abc); 1–255 visible ASCII characters; exactly one field line.
//  3. Scope: keys are per caller (a hashed header, a JSON body field, or
//     none), so one caller never replays another caller's response.
//  4. Fingerprint: SHA-256 of method, path, query, selected headers and body
//     (raw, or canonical JSON), so a key reused for another request is caught.
//  5. Claim: one atomic store operation decides: execute, replay, 409 in
//     progress (or wait), 422 mismatch, 409 failed or abandoned. A replay
//     this replica has seen comes from its bounded cache of completed
//     responses instead (see ReplayCache), the fingerprint compared first.
//  6. Forward: the handler runs detached from the client's cancellation with
//     its own timeout, while its lease is renewed; the response streams to
//     the client and is captured up to a size cap.
//  7. Finish: by the response status, the record is completed (kept for
//     replay), failed, or released so the key may be retried.
//  8. Store trouble: fail closed (503, the handler is not called) or open.
//
// Every error the middleware produces is application/problem+json (RFC 9457)
// with a stable type URI; see ProblemType.
//
// The middleware is func(http.Handler) http.Handler, so it fits net/http's
// ServeMux, gorilla/mux's Use, and chi alike:
//
//	m, err := middleware.New(st, middleware.Config{})
//	handler := m.Handler(mux)
package middleware
