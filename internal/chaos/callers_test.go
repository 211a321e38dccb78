package chaos

import (
	"net/http"
	"testing"
)

// Routes for a counting upstream, scoped as the product's default scopes
// them, by the Authorization header.
const (
	authRoute = `
    - name: any
      path_prefix: /
      methods: [POST, PATCH]
      key: required`
	publicRoute = `
    - name: public
      path_prefix: /public
      methods: [POST]
      key: required
      anonymous: shared` + authRoute
)

// sendAs is send with an Authorization header (none when auth is "").
func sendAs(t *testing.T, url, key, auth, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, stringsReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", key)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	r, err := do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return r
}

// TestOneCallerHowEverItSpellsItsToken: under the default scope
// (header:Authorization), a client that retries with its auth-scheme in
// another case, or other spacing, is the same caller: its request runs once.
func TestOneCallerHowEverItSpellsItsToken(t *testing.T) {
	t.Parallel()
	up := startCountingUpstream(t, nil)
	p := startProxy(t, proxyConfig{Upstream: up.url, Routes: authRoute})
	key := unique("token")
	var seen []response
	for _, auth := range []string{"Bearer t0k", "bearer t0k", "BEARER t0k", "Bearer  t0k", "Bearer\tt0k"} {
		seen = append(seen, sendAs(t, p.url+"/orders", key, auth, "order"))
	}
	for i, r := range seen[1:] {
		if !r.replayed() || !sameResponse(seen[0], r) {
			t.Errorf("spelling %d: %v %q, want the replay of %q", i+1, r, r.body, seen[0].body)
		}
	}
	if n := up.ran(key); n != 1 {
		t.Errorf("the upstream ran %d times, want 1", n)
	}
	observed(t, "5 spellings of one bearer token, one key: %v; upstream runs %d", seen, up.ran(key))
}

// TestAnonymousCallersDoNotShareAScope: two requests that carry no
// Authorization header (a cookie-authenticated app, say) are refused with
// 400 missing-scope rather than replaying each other's response; a route
// that opts in with anonymous: shared puts them in one scope.
func TestAnonymousCallersDoNotShareAScope(t *testing.T) {
	t.Parallel()
	up := startCountingUpstream(t, nil)
	p := startProxy(t, proxyConfig{Upstream: up.url, Routes: publicRoute})
	key := unique("anon")
	var refused []response
	for range 2 {
		r := sendAs(t, p.url+"/orders", key, "", "order")
		if r.status != http.StatusBadRequest || r.problem != problemBase+"missing-scope" {
			t.Errorf("no Authorization: %v, want 400 missing-scope", r)
		}
		refused = append(refused, r)
	}
	if n := up.ran(key); n != 0 {
		t.Errorf("the upstream ran %d times for anonymous requests, want 0", n)
	}
	first := sendAs(t, p.url+"/public/votes", key, "", "vote")
	second := sendAs(t, p.url+"/public/votes", key, "", "vote")
	if first.status != http.StatusCreated || !second.replayed() {
		t.Errorf("anonymous: shared: %v then %v, want 201 and its replay", first, second)
	}
	observed(t, "2 anonymous requests, one key: %v; upstream runs 0; on an anonymous: shared route: %v, %v", refused, first, second)
}
