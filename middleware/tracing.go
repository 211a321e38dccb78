package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/idemproxy/idemproxy/store"
)

// Tracing uses the OpenTelemetry API only: the middleware enriches the span
// an outer layer (otelhttp) started for the request, and starts its store
// spans from that span's own TracerProvider, so it needs no global and
// never an SDK. Without a recording span in the request's context every
// step below is one IsRecording call: no attribute is built, no span
// started.

// tracerName is the instrumentation scope of the middleware's spans.
const tracerName = "github.com/idemproxy/idemproxy/middleware"

// The attributes set on the request's span. The key is there only as a
// hash of its storage key (itself hashes of scope and key): a trace backend
// is read by more people than the store, and neither a key nor a caller's
// credential may reach it.
const (
	attrOutcome  = attribute.Key("idempotency.outcome")  // an Outcome
	attrReplayed = attribute.Key("idempotency.replayed") // a stored response was sent
	attrRoute    = attribute.Key("idempotency.route")    // the route's name
	attrKeyHash  = attribute.Key("idempotency.key_hash") // see keyHash
	attrCached   = attribute.Key("idempotency.replay_cache")
)

// The attributes of a store span.
const (
	attrStoreOp     = attribute.Key("idempotency.store.operation") // claim, finish, release, renew, wait
	attrStoreResult = attribute.Key("idempotency.store.result")    // a claim's store.ClaimOutcome, or a result below
)

// The results a store span reports besides a claim's store.ClaimOutcome.
const (
	resultOK        = "ok"
	resultCompleted = "completed" // finish: recorded for replay
	resultFailed    = "failed"    // finish: recorded as failed
	resultNotOwner  = "not_owner"
	resultError     = "error"
	resultTimeout   = "timeout" // wait: the owner did not finish in time
)

// storeSpanNames are the store spans' names, one per operation: span names
// stay few, whatever the keys.
var storeSpanNames = map[string]string{
	"claim":   "idempotency.claim",
	"finish":  "idempotency.finish",
	"release": "idempotency.release",
	"renew":   "idempotency.renew",
	"wait":    "idempotency.wait",
}

// keyHash is what traces show of a key: the first 64 bits of a SHA-256 of
// its storage key, in hex. It tells the spans of one key apart from
// another's and links retries of one key, and reveals nothing the storage
// key does not.
func keyHash(k store.Key) string {
	sum := sha256.Sum256([]byte(k.String()))
	return hex.EncodeToString(sum[:8])
}

// traceOutcome sets the request's attributes on its span, once the outcome
// is known.
func (c *call) traceOutcome(o Outcome) {
	if !c.span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs,
		attrOutcome.String(string(o)),
		attrReplayed.Bool(o == OutcomeReplayed || o == OutcomeWaited),
		attrRoute.String(c.rt.name),
	)
	if c.claim.Key.ID != "" {
		attrs = append(attrs, attrKeyHash.String(keyHash(c.claim.Key)))
	}
	c.span.SetAttributes(attrs...)
}

// storeOp is one store operation in flight: timed for the metrics, and a
// child span of the request's span when that span records.
type storeOp struct {
	m      *Middleware
	name   string
	began  time.Time
	parent trace.SpanContext // the exemplar's trace, when sampled
	span   trace.Span        // nil unless the request's span records
}

// startOp starts timing operation name of the request whose span is parent,
// and returns the context to run it in: ctx carrying the store span, so a
// store that traces its own calls nests them under it.
func (m *Middleware) startOp(ctx context.Context, parent trace.Span, name string) (context.Context, storeOp) {
	op := storeOp{m: m, name: name, parent: parent.SpanContext()}
	if parent.IsRecording() {
		ctx, op.span = parent.TracerProvider().Tracer(tracerName).Start(
			trace.ContextWithSpan(ctx, parent), storeSpanNames[name],
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attrStoreOp.String(name)))
	}
	op.began = time.Now()
	return ctx, op
}

// end records the operation's latency and, on its span, its result; err,
// when the operation failed, marks the span as an error.
func (op storeOp) end(result string, err error) {
	op.m.metrics.storeObserved(op.name, op.began, op.parent)
	if op.span == nil {
		return
	}
	op.span.SetAttributes(attrStoreResult.String(result))
	if err != nil {
		op.span.SetStatus(codes.Error, err.Error())
	}
	op.span.End()
}

// errResult names a failed operation's result.
func errResult(err error) string {
	if errors.Is(err, store.ErrNotOwner) {
		return resultNotOwner
	}
	return resultError
}
