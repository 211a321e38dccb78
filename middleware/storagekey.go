package middleware

import (
	"encoding/json"
	"fmt"

	"github.com/idemproxy/idemproxy/store"
)

// StorageKey returns the store key under which the named route keeps the
// record of (scope, key), so operators can inspect or delete one record.
// scope is what the route's Scope reads: the header's value for
// "header:<Name>" (e.g. "Bearer abc", normalised as requests are), the JSON
// of the field for "json:<pointer>" (`"c-1"` for a string, `42` for a
// number), and ignored for "none". An empty scope addresses the anonymous
// scope, on routes whose Anonymous is AnonymousShared only: elsewhere no
// record can be there. key is the Idempotency-Key header value, bare or
// sf-string.
func (m *Middleware) StorageKey(route, scope, key string) (store.Key, error) {
	for _, rt := range m.routes {
		if rt.name != route {
			continue
		}
		k, err := parseKey([]string{key})
		if err != nil {
			return store.Key{}, fmt.Errorf("middleware: key: %w", err)
		}
		switch rt.scope.kind {
		case scopeNone:
			scope = ""
		case scopeHeader:
			scope = normalizeScopeHeader(rt.scope.header, []string{scope})
		case scopeJSON:
			if scope != "" {
				// The same canonical JSON the middleware hashes.
				v, err := decodeJSON([]byte(scope))
				if v == nil || err != nil {
					return store.Key{}, fmt.Errorf("middleware: scope: route %q is scoped by %s: give the field's value as JSON, e.g. %q", route, rt.scope, `"c-1"`)
				}
				b, _ := json.Marshal(v)
				scope = string(b)
			}
		}
		if scope == "" && rt.scope.kind != scopeNone && rt.policy.Anonymous != AnonymousShared {
			return store.Key{}, fmt.Errorf("middleware: scope: route %q is scoped by %s: give the caller's value as scope", route, rt.scope)
		}
		return storageKey(rt.scope.kind, scope, k), nil
	}
	return store.Key{}, fmt.Errorf("middleware: no route named %q", route)
}

// RouteNames returns the names of the covered routes, in match order.
func (m *Middleware) RouteNames() []string {
	names := make([]string, len(m.routes))
	for i, rt := range m.routes {
		names[i] = rt.name
	}
	return names
}

// Forget drops this replica's cached copy of the record at key, after an
// operator deleted the record from the store. Other replicas' copies end
// within ReplayCache.MaxAge.
func (m *Middleware) Forget(key store.Key) { m.cache.forget(key) }
