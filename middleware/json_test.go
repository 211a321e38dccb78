package middleware

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeJSONRefusesAmbiguousJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		ambiguous  bool
	}{
		{name: "plain", body: `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`},
		{name: "same name in sibling objects", body: `[{"a":1},{"a":1}]`},
		{name: "escaped names that differ", body: `{"a":1,"\u0062":2}`},
		{name: "surrogate pair", body: `{"a":"\ud83d\ude00"}`},
		{name: "escaped backslash before u", body: `{"a":"\\ud800"}`},
		{name: "U+FFFD itself", body: "{\"a\":\"\uFFFD\"}"},
		{name: "duplicate member", body: `{"customer_id":"a","customer_id":"b"}`, ambiguous: true},
		{name: "duplicate spelled with an escape", body: `{"a":1,"\u0061":2}`, ambiguous: true},
		{name: "duplicate deep inside", body: `{"x":[{"y":{"k":1,"k":1}}]}`, ambiguous: true},
		{name: "invalid UTF-8 in a string", body: "{\"a\":\"\xff\"}", ambiguous: true},
		{name: "invalid UTF-8 in a name", body: "{\"\xfe\":1}", ambiguous: true},
		{name: "lone high surrogate", body: `{"a":"\ud800"}`, ambiguous: true},
		{name: "lone low surrogate", body: `{"a":"\udc00x"}`, ambiguous: true},
		{name: "high surrogate then a non-surrogate escape", body: `{"a":"\ud800\u0041"}`, ambiguous: true},
		{name: "high surrogate at the end of a string", body: `["\uD800"]`, ambiguous: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := decodeJSON([]byte(tc.body))
			if got := errors.Is(err, errAmbiguousJSON); got != tc.ambiguous {
				t.Fatalf("decodeJSON(%q) error = %v, want ambiguous %v", tc.body, err, tc.ambiguous)
			}
			if !tc.ambiguous && doc == nil {
				t.Errorf("decodeJSON(%q) = nil, want the document", tc.body)
			}
		})
	}
}

// TestAmbiguousJSONIs400 sends bodies that Go would decode to one value and
// other parsers to another: they are refused before anything is claimed,
// whether the JSON feeds the scope or the fingerprint.
func TestAmbiguousJSONIs400(t *testing.T) {
	t.Parallel()
	for _, pol := range []Policy{{Scope: "json:/customer_id"}, {Scope: "none", Body: BodyJSON}} {
		e := newEnv(t, Config{Policy: pol}, nil)
		for i, body := range []string{
			`{"customer_id":"c-1","customer_id":"c-2"}`,
			"{\"customer_id\":\"\xff\"}",
			`{"customer_id":"\ud800"}`,
		} {
			w := e.do(request{key: "k" + string(rune('0'+i)), body: body})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), string(ProblemInvalidBody)) {
				t.Errorf("%+v: %q → %d %s, want 400 invalid-body", pol, body, w.Code, w.Body)
			}
		}
		if e.calls.Load() != 0 || e.spy.ops.Load() != 0 {
			t.Errorf("%+v: %d handler calls, %d store operations; want none", pol, e.calls.Load(), e.spy.ops.Load())
		}
		if got := e.outcome("default", OutcomeInvalidBody); got != 3 {
			t.Errorf("%+v: invalid_body outcomes = %v, want 3", pol, got)
		}
	}
}

// TestInvalidUTF8ScopesDoNotCollide is the bug that made decodeJSON strict:
// "\xff" and "\xfe" both decode to U+FFFD, so two callers shared a scope.
func TestInvalidUTF8ScopesDoNotCollide(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Policy: Policy{Scope: "json:/customer_id"}}, nil)
	first := e.do(request{key: "k", body: "{\"customer_id\":\"\xff\"}"})
	second := e.do(request{key: "k", body: "{\"customer_id\":\"\xfe\"}"})
	if second.Header().Get("Idempotent-Replayed") == "true" {
		t.Fatalf("caller \\xfe replayed caller \\xff's response %s", first.Body)
	}
}
