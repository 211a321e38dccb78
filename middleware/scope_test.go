package middleware

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

func TestNormalizeScopeHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		hdr   string
		lines []string
		want  string
	}{
		{"canonical", "Authorization", []string{"Bearer t0k"}, "Bearer t0k"},
		{"scheme lower case", "Authorization", []string{"bearer t0k"}, "Bearer t0k"},
		{"scheme upper case", "Authorization", []string{"BEARER t0k"}, "Bearer t0k"},
		{"two spaces", "Authorization", []string{"Bearer  t0k"}, "Bearer t0k"},
		{"a tab", "Authorization", []string{"Bearer\tt0k"}, "Bearer t0k"},
		{"surrounding space", "Authorization", []string{"  Bearer t0k \t"}, "Bearer t0k"},
		{"credentials keep their case", "Authorization", []string{"bearer T0K"}, "Bearer T0K"},
		{"basic", "Authorization", []string{"basic dXNlcjpwYXNz"}, "Basic dXNlcjpwYXNz"},
		{"scheme alone", "Authorization", []string{"NEGOTIATE"}, ""},
		{"scheme and no token", "Authorization", []string{"Bearer "}, ""},
		{"registered spelling kept", "Authorization", []string{"dpop t0k"}, "DPoP t0k"},
		{"registered spelling, upper case", "Authorization", []string{"AWS4-HMAC-SHA256 Credential=x"}, "AWS4-HMAC-SHA256 Credential=x"},
		{"unregistered scheme lower-cased", "Authorization", []string{"MyScheme t"}, "myscheme t"},
		{"proxy credentials", "Proxy-Authorization", []string{"bearer  p"}, "Bearer p"},
		{"blank", "Authorization", []string{"   "}, ""},
		{"absent", "Authorization", nil, ""},
		{"other headers keep their case", "X-Api-Key", []string{" Bearer  K "}, "Bearer  K"},
		{"several lines", "X-Api-Key", []string{"a", " ", "b"}, "a\nb"},
	}
	for _, tc := range tests {
		if got := normalizeScopeHeader(tc.hdr, tc.lines); got != tc.want {
			t.Errorf("%s: normalizeScopeHeader(%s, %q) = %q, want %q", tc.name, tc.hdr, tc.lines, got, tc.want)
		}
	}
}

// TestOneCallerHowEverItSpellsItsCredential: the retries of one client that
// spells its auth-scheme differently, or spaces it differently, are one
// caller: the first response is replayed, the handler runs once.
func TestOneCallerHowEverItSpellsItsCredential(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, nil)
	first := e.do(request{key: "k", body: body1, header: http.Header{"Authorization": {"Bearer t0k"}}})
	for _, spelling := range []string{"bearer t0k", "BEARER t0k", "Bearer  t0k", " Bearer\tt0k "} {
		w := e.do(request{key: "k", body: body1, header: http.Header{"Authorization": {spelling}}})
		if w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != first.Body.String() {
			t.Errorf("%q after \"Bearer t0k\": %d %s, want the replay", spelling, w.Code, w.Body)
		}
	}
	w := e.do(request{key: "k", body: body1, header: http.Header{"Authorization": {"Bearer T0K"}}})
	if w.Header().Get("Idempotent-Replayed") == "true" {
		t.Error("another token (T0K) replayed t0k's response")
	}
	if n := e.calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2 (t0k once, T0K once)", n)
	}
}

// TestAnonymousCallers: a request that does not say who its caller is never
// shares a scope with another one, unless the route opts in.
func TestAnonymousCallers(t *testing.T) {
	t.Parallel()
	anonymous := http.Header{anonymousHeader: {"1"}}
	for _, tc := range []struct {
		name   string
		policy Policy
		header http.Header
		body   string
		detail string
	}{
		{"no Authorization header", Policy{}, anonymous, body1, "it has no Authorization header naming one"},
		{"a blank one", Policy{}, http.Header{"Authorization": {" "}}, body1, "it has no Authorization header naming one"},
		{"a scheme without a token", Policy{}, http.Header{"Authorization": {"Bearer "}}, body1, "it has no Authorization header naming one"},
		{"no JSON field", Policy{Scope: "json:/customer_id"}, nil, `{"lines":[]}`, "its body has no value at the JSON pointer /customer_id"},
		{"a null one", Policy{Scope: "json:/customer_id"}, nil, `{"customer_id":null}`, "its body has no value at the JSON pointer /customer_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{Policy: tc.policy}, nil)
			w := e.do(request{key: "k", body: tc.body, header: tc.header})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), string(ProblemMissingScope)) || !strings.Contains(w.Body.String(), tc.detail) {
				t.Errorf("got %d %s, want 400 missing-scope saying %q", w.Code, w.Body, tc.detail)
			}
			if e.calls.Load() != 0 || e.spy.ops.Load() != 0 {
				t.Errorf("%d handler calls, %d store operations; want none", e.calls.Load(), e.spy.ops.Load())
			}

			tc.policy.Anonymous = AnonymousShared
			shared := newEnv(t, Config{Policy: tc.policy}, nil)
			first := shared.do(request{key: "k", body: tc.body, header: tc.header})
			second := shared.do(request{key: "k", body: tc.body, header: tc.header})
			if first.Code != http.StatusCreated || second.Header().Get("Idempotent-Replayed") != "true" {
				t.Errorf("anonymous: shared: %d, then %d replayed=%q; want 201 and its replay", first.Code, second.Code, second.Header().Get("Idempotent-Replayed"))
			}
			named := shared.do(request{key: "k", body: body1, header: http.Header{"Authorization": {"Bearer someone"}}})
			if named.Code != http.StatusCreated || named.Header().Get("Idempotent-Replayed") == "true" {
				t.Errorf("a named caller after the anonymous ones: %d replayed=%q, want its own 201", named.Code, named.Header().Get("Idempotent-Replayed"))
			}
		})
	}
}

// TestStorageKeyNeedsTheScopeItsRouteReads: an operator's record address
// is normalised like a request's, and one without the scope the route needs
// is refused, naming it, instead of addressing a record that cannot exist.
func TestStorageKeyNeedsTheScopeItsRouteReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{
		{Name: "orders", Path: "/orders", Policy: Policy{Scope: "json:/customer_id"}},
		{Name: "any", Policy: Policy{Scope: "header:Authorization"}},
		{Name: "public", PathPrefix: "/public", Policy: Policy{Anonymous: AnonymousShared}},
	}}, nil)
	e.do(request{key: "op-1", body: body1})
	e.do(request{path: "/carts", key: "op-1", body: body1, header: http.Header{"Authorization": {"Bearer t0k"}}})
	for _, addr := range []struct{ route, scope string }{
		{"orders", `"c1"`},
		{"orders", ` "c1" `},
		{"orders", `"\u0063\u0031"`},
		{"any", "bearer   t0k"},
	} {
		k, err := e.mw.StorageKey(addr.route, addr.scope, "op-1")
		if err != nil {
			t.Errorf("StorageKey(%s, %q): %v", addr.route, addr.scope, err)
			continue
		}
		if rec, err := e.mem.Get(context.Background(), k); err != nil || rec.State != store.Completed {
			t.Errorf("StorageKey(%s, %q) does not address the record: %v", addr.route, addr.scope, err)
		}
	}
	for _, addr := range []struct{ route, scope, want string }{
		{"orders", "", "json:/customer_id"},
		{"orders", "c1", "as JSON"},
		{"any", "", "header:Authorization"},
		{"any", "  ", "header:Authorization"},
	} {
		_, err := e.mw.StorageKey(addr.route, addr.scope, "op-1")
		if err == nil || !strings.Contains(err.Error(), addr.want) {
			t.Errorf("StorageKey(%s, %q) error = %v, want one naming %q", addr.route, addr.scope, err, addr.want)
		}
	}
	if _, err := e.mw.StorageKey("public", "", "op-1"); err != nil {
		t.Errorf("StorageKey of a shared anonymous route without a scope: %v, want the anonymous scope's key", err)
	}
}
