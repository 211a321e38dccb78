package middleware

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

func TestFingerprintTellsRequestsApart(t *testing.T) {
	t.Parallel()
	type req struct {
		method, target, body string
		header               http.Header
	}
	base := req{method: "POST", target: "/orders?x=1", body: `{"a":1,"b":[1,2]}`, header: http.Header{"X-Tenant": {"t1"}}}
	tests := []struct {
		name     string
		other    req
		bodyMode BodyMode
		same     bool
	}{
		{name: "identical", other: base, same: true},
		{name: "method", other: req{"PATCH", base.target, base.body, base.header}},
		{name: "path", other: req{base.method, "/orders/x?x=1", base.body, base.header}},
		{name: "query", other: req{base.method, "/orders?x=2", base.body, base.header}},
		{name: "body", other: req{base.method, base.target, `{"a":2,"b":[1,2]}`, base.header}},
		{name: "selected header", other: req{base.method, base.target, base.body, http.Header{"X-Tenant": {"t2"}}}},
		{name: "other header ignored", other: req{base.method, base.target, base.body, http.Header{"X-Tenant": {"t1"}, "User-Agent": {"x"}}}, same: true},
		{name: "raw mode sees key order", other: req{base.method, base.target, `{"b":[1,2],"a":1}`, base.header}},
		{name: "json mode ignores key order and space", other: req{base.method, base.target, "{ \"b\": [1, 2],\n \"a\": 1 }", base.header}, bodyMode: BodyJSON, same: true},
		{name: "json mode keeps array order", other: req{base.method, base.target, `{"a":1,"b":[2,1]}`, base.header}, bodyMode: BodyJSON},
		{name: "json mode keeps numbers as written", other: req{base.method, base.target, `{"a":1.0,"b":[1,2]}`, base.header}, bodyMode: BodyJSON},
		{name: "path and query boundary", other: req{base.method, "/orders%3Fx=1", base.body, base.header}},
	}
	fp := func(rq req, mode BodyMode) store.Fingerprint {
		r := httptest.NewRequest(rq.method, rq.target, nil)
		r.Header = rq.header
		var doc any
		if mode == BodyJSON {
			doc, _ = decodeJSON([]byte(rq.body))
		}
		return fingerprint(r, requestPath(r).norm, []string{"X-Tenant"}, []byte(rq.body), doc)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := fp(base, tc.bodyMode), fp(tc.other, tc.bodyMode)
			if (a == b) != tc.same {
				t.Errorf("fingerprints equal = %v, want %v", a == b, tc.same)
			}
		})
	}
}

func TestDecodeJSONRejectsTrailingData(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"a":1}{"a":2}`, `{"a":1} x`, `not json`, ``} {
		if doc, err := decodeJSON([]byte(body)); doc != nil || err != nil {
			t.Errorf("decodeJSON(%q) = %v, %v; want nil, nil (taken raw)", body, doc, err)
		}
	}
}

// FuzzStorageKey checks that storage keys are valid store keys and that
// distinct (scope kind, scope value, key) triples never collide into one
// storage key: the scope and key are length-prefixed and hashed separately.
func FuzzStorageKey(f *testing.F) {
	f.Add(byte('h'), "Bearer a", "k1", byte('h'), "Bearer a:k", "1")
	f.Add(byte('j'), `"c1"`, "k", byte('h'), `"c1"`, "k")
	f.Add(byte('n'), "", "{x}", byte('n'), "", "{x}:")
	f.Fuzz(func(t *testing.T, k1 byte, s1, key1 string, k2 byte, s2, key2 string) {
		a := storageKey(scopeKind(k1), s1, key1)
		b := storageKey(scopeKind(k2), s2, key2)
		for _, k := range []store.Key{a, b} {
			if err := k.Validate(); err != nil {
				t.Fatalf("storage key %v is invalid: %v", k, err)
			}
		}
		same := k1 == k2 && s1 == s2 && key1 == key2
		if (a == b) != same {
			t.Fatalf("storageKey(%q,%q,%q) = %v and storageKey(%q,%q,%q) = %v: equal %v, inputs equal %v",
				k1, s1, key1, a, k2, s2, key2, b, a == b, same)
		}
	})
}

// FuzzFingerprintJSON checks that in BodyJSON mode a body's fingerprint
// depends on its JSON value, not its spelling: any JSON body, re-encoded
// with other whitespace and key order, has the same fingerprint; and a body
// that is not one JSON value never panics (it is taken raw).
func FuzzFingerprintJSON(f *testing.F) {
	for _, seed := range []string{`{"b":1,"a":[1,2,{"z":null,"y":"s"}]}`, `[1, 2.50, "x"]`, `"s"`, `{"a":1}{`, `nope`, `1e400`} {
		f.Add([]byte(seed))
	}
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := decodeJSON(body)
		if err != nil {
			return // refused with 400: no fingerprint
		}
		fp := fingerprint(r, "/orders", nil, body, doc)
		if doc == nil {
			return
		}
		respelled, err := json.MarshalIndent(doc, " ", "\t")
		if err != nil {
			t.Fatalf("re-encoding %q: %v", body, err)
		}
		redoc, err := decodeJSON(respelled)
		if err != nil {
			t.Fatalf("the respelling %q of %q is refused: %v", respelled, body, err)
		}
		if got := fingerprint(r, "/orders", nil, respelled, redoc); got != fp {
			t.Fatalf("%q and its respelling %q have different fingerprints", body, respelled)
		}
	})
}

// FuzzScopePointer checks that parsePointer never panics, and that any
// object member name, escaped into a pointer, finds that member.
func FuzzScopePointer(f *testing.F) {
	for _, seed := range []string{"customer_id", "a/b", "~", "~1", "", "0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		_, _ = parsePointer(name)
		_, _ = parsePointer("/" + name)
		escaped := strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
		tokens, err := parsePointer("/" + escaped)
		if err != nil {
			t.Fatalf("parsePointer(%q) of member %q: %v", "/"+escaped, name, err)
		}
		got, ok := lookupPointer(map[string]any{name: "v"}, tokens)
		if !ok || got != "v" {
			t.Fatalf("pointer %q did not find member %q: %v, %v", "/"+escaped, name, got, ok)
		}
	})
}
