package middleware

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracedEnv is an env whose requests arrive with a recording span, as
// otelhttp starts one, and whose spans end up in rec.
type tracedEnv struct {
	*env
	rec *tracetest.SpanRecorder
}

// Secrets the tests send, to look for in every span.
const (
	rawKey   = "raw-key-7f3a9e"
	rawScope = "Bearer scope-secret-b41c"
	rawBody  = `{"customer_id":"body-secret-c77d"}`
)

func newTracedEnv(t *testing.T, cfg Config) *tracedEnv {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, cfg, nil)
	inner := e.h
	e.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tp.Tracer("test").Start(r.Context(), "request", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		inner.ServeHTTP(w, r.WithContext(ctx))
	})
	return &tracedEnv{env: e, rec: rec}
}

// last returns the most recent request's span and its children, in the
// order they ended.
func (e *tracedEnv) last() (root sdktrace.ReadOnlySpan, children []sdktrace.ReadOnlySpan) {
	e.t.Helper()
	spans := e.rec.Ended()
	for i := len(spans) - 1; i >= 0; i-- {
		if spans[i].Name() == "request" {
			root = spans[i]
			break
		}
	}
	if root == nil {
		e.t.Fatal("no request span recorded")
	}
	for _, s := range spans {
		if s.Parent().SpanID() == root.SpanContext().SpanID() {
			children = append(children, s)
		}
	}
	return root, children
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// storeSpan is a store span as the tests compare them: name and result.
type storeSpan struct{ name, result string }

var hexHash = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestSpanAttributesByOutcome: each outcome of the lifecycle puts its
// attributes on the request's span and its store operations under it.
func TestSpanAttributesByOutcome(t *testing.T) {
	t.Parallel()
	required := Config{Routes: []Route{{Name: "orders", Path: "/orders", Policy: Policy{Key: KeyRequired}}}}
	noCache := Config{ReplayCache: ReplayCache{MaxEntries: -1}}
	first := request{key: rawKey, body: rawBody, header: auth(rawScope)}
	with := func(rq request, h http.Header) request {
		if rq.header = rq.header.Clone(); rq.header == nil {
			rq.header = http.Header{}
		}
		for k, v := range h {
			rq.header[k] = v
		}
		return rq
	}
	otherOwner := func(e *env) { e.claimAsAnotherOwner(rawScope, rawKey, rawBody) }
	tests := []struct {
		name       string
		cfg        Config
		before     func(e *env)
		earlier    []request // sent before the request whose span is checked
		req        request
		wantStatus int
		// wantAttrs are the idempotency.* attributes of the request span;
		// nil means it has none.
		wantAttrs map[string]string
		wantHash  bool
		wantStore []storeSpan
		storeErr  bool // the store spans are errors
	}{
		{name: "executed", req: first, wantStatus: 201, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "executed", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "claimed"}, {"idempotency.finish", "completed"}}},
		{name: "replayed from the store", cfg: noCache, earlier: []request{first}, req: first, wantStatus: 201, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "replayed", "idempotency.replayed": "true", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "replay"}}},
		{name: "replayed from the replay cache", earlier: []request{first, first}, req: first, wantStatus: 201, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "replayed", "idempotency.replayed": "true", "idempotency.route": "default", "idempotency.replay_cache": "true"}},
		{name: "in progress is 409", before: otherOwner, req: first, wantStatus: 409, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "conflict", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "busy"}}},
		{name: "a wait for the owner that times out is 409",
			cfg:    Config{Policy: Policy{InProgress: InProgressWait, WaitTimeout: 20 * time.Millisecond}},
			before: otherOwner, req: first, wantStatus: 409, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "conflict", "idempotency.replayed": "false", "idempotency.route": "default"},
			// The wait ends with the wait timeout, and the key is claimed once
			// more before the 409: the owner may have finished meanwhile.
			wantStore: []storeSpan{{"idempotency.claim", "busy"}, {"idempotency.wait", "timeout"}, {"idempotency.claim", "busy"}}},
		{name: "key reused is 422", earlier: []request{first}, req: with(request{key: rawKey, body: `{"other":1}`}, auth(rawScope)), wantStatus: 422, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "mismatch", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "mismatch"}}},
		{name: "missing key is 400", cfg: required, req: request{body: rawBody, header: auth(rawScope)}, wantStatus: 400,
			wantAttrs: map[string]string{"idempotency.outcome": "missing_key", "idempotency.replayed": "false", "idempotency.route": "orders"}},
		{name: "previously failed is 409", earlier: []request{with(first, http.Header{"X-Want-Status": {"402"}})}, req: first, wantStatus: 409, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "failed_rejected", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "previously_failed"}}},
		{name: "failed status is recorded failed", req: with(first, http.Header{"X-Want-Status": {"500"}}), wantStatus: 500, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "executed", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "claimed"}, {"idempotency.finish", "failed"}}},
		{name: "released status releases", req: with(first, http.Header{"X-Want-Status": {"400"}}), wantStatus: 400, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "released", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "claimed"}, {"idempotency.release", "ok"}}},
		{name: "optional key missing is bypassed", req: request{body: rawBody, header: auth(rawScope)}, wantStatus: 201,
			wantAttrs: map[string]string{"idempotency.outcome": "bypassed", "idempotency.replayed": "false", "idempotency.route": "default"}},
		{name: "not covered passes through untouched", cfg: required, req: request{path: "/payments", key: rawKey, body: rawBody, header: auth(rawScope)}, wantStatus: 201},
		{name: "store unavailable is 503", before: func(e *env) { e.spy.fail.Store(true) }, req: first, wantStatus: 503, wantHash: true,
			wantAttrs: map[string]string{"idempotency.outcome": "store_error", "idempotency.replayed": "false", "idempotency.route": "default"},
			wantStore: []storeSpan{{"idempotency.claim", "error"}}, storeErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTracedEnv(t, tc.cfg)
			for _, rq := range tc.earlier {
				e.do(rq)
			}
			if tc.before != nil {
				tc.before(e.env)
			}
			if w := e.do(tc.req); w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			root, children := e.last()
			got := attrMap(root.Attributes())
			hash, hasHash := got["idempotency.key_hash"]
			delete(got, "idempotency.key_hash")
			want := tc.wantAttrs
			if want == nil {
				want = map[string]string{}
			}
			if len(got) != len(want) {
				t.Errorf("request span attributes = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("request span %s = %q, want %q", k, got[k], v)
				}
			}
			if hasHash != tc.wantHash || hasHash && !hexHash.MatchString(hash) {
				t.Errorf("idempotency.key_hash = %q (set %v), want 16 hex digits: %v", hash, hasHash, tc.wantHash)
			}
			var gotStore []storeSpan
			for _, s := range children {
				a := attrMap(s.Attributes())
				gotStore = append(gotStore, storeSpan{s.Name(), a["idempotency.store.result"]})
				if op := strings.TrimPrefix(s.Name(), "idempotency."); a["idempotency.store.operation"] != op {
					t.Errorf("%s: idempotency.store.operation = %q, want %q", s.Name(), a["idempotency.store.operation"], op)
				}
				if isErr := s.Status().Code == codes.Error; isErr != tc.storeErr {
					t.Errorf("%s: error status %v, want %v", s.Name(), isErr, tc.storeErr)
				}
			}
			if !slices.Equal(gotStore, tc.wantStore) {
				t.Errorf("store spans = %v, want %v", gotStore, tc.wantStore)
			}
		})
	}
}

// TestKeyHashLinksRetriesOfOneKey: the hash is the same for every request
// with one key and caller, and differs for another caller's same key.
func TestKeyHashLinksRetriesOfOneKey(t *testing.T) {
	t.Parallel()
	e := newTracedEnv(t, Config{})
	hashOf := func(scope string) string {
		e.do(request{key: rawKey, body: rawBody, header: auth(scope)})
		root, _ := e.last()
		return attrMap(root.Attributes())["idempotency.key_hash"]
	}
	first, retry, other := hashOf(rawScope), hashOf(rawScope), hashOf("Bearer someone-else")
	if first == "" || first != retry {
		t.Errorf("key_hash of a retry = %q, want the first request's %q", retry, first)
	}
	if other == first {
		t.Errorf("key_hash of another caller's same key = %q, want one of its own", other)
	}
}

// TestSpansNeverCarryKeysScopesOrBodies sends every kind of request and
// searches everything every span recorded for the raw key, scope and body.
func TestSpansNeverCarryKeysScopesOrBodies(t *testing.T) {
	t.Parallel()
	e := newTracedEnv(t, Config{Policy: Policy{Scope: "header:Authorization"}})
	rq := request{key: rawKey, body: rawBody, header: auth(rawScope)}
	e.do(rq)                                                            // executed
	e.do(rq)                                                            // replayed
	e.do(request{key: rawKey, body: `{"x":1}`, header: auth(rawScope)}) // mismatch
	e.do(request{key: `"` + rawKey + `"`, body: rawBody, header: auth(rawScope)})
	e.do(request{lines: []string{rawKey, rawKey}, body: rawBody, header: auth(rawScope)}) // invalid key
	e.spy.fail.Store(true)
	e.do(request{key: rawKey + "-2", body: rawBody, header: auth(rawScope)}) // store error
	spans := e.rec.Ended()
	if len(spans) < 6 {
		t.Fatalf("%d spans recorded, want at least one per request", len(spans))
	}
	secrets := []string{rawKey, strings.TrimPrefix(rawScope, "Bearer "), "body-secret"}
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		kvs := slices.Clone(s.Attributes())
		for _, ev := range s.Events() {
			texts = append(texts, ev.Name)
			kvs = append(kvs, ev.Attributes...)
		}
		for _, kv := range kvs {
			texts = append(texts, string(kv.Key), kv.Value.Emit())
		}
		for _, text := range texts {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("span %s carries %q: %q", s.Name(), secret, text)
				}
			}
		}
	}
}
