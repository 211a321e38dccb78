package middleware

import (
	"net/http"
	"strings"
	"testing"
)

func TestNormalizePath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/":                 "/",
		"":                  "/",
		"/orders":           "/orders",
		"/orders/":          "/orders",
		"//orders//":        "/orders",
		"/./orders/.":       "/orders",
		"/a/b/../../orders": "/orders",
		"/../orders":        "/orders",
		"/%6Frders":         "/orders",
		"/%6frders":         "/orders",
		"/%2e%2E/orders":    "/orders",
		"/a%2fb":            "/a%2Fb",
		"/a%20b":            "/a%20b",
		"/100%":             "/100%25",
		"/x%zz":             "/x%25zz",
		"%%610":             "/%25a0",
		"/orders;v=1":       "/orders;v=1",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalizePath checks that normalizePath never panics, that what it
// returns is normal (normalising again changes nothing, and the fast path
// agrees), and that a normal path has none of the spellings routers fold:
// no empty, "." or ".." segment, no escape of an unreserved character.
func FuzzNormalizePath(f *testing.F) {
	for _, seed := range []string{"/orders", "//a/./b/../c/", "/%6F%2f%", "", "..", "/;x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n := normalizePath(p)
		if again := normalizePath(n); again != n {
			t.Fatalf("normalizePath(%q) = %q, normalised again %q", p, n, again)
		}
		if !isNormalPath(n) && strings.IndexByte(n, '%') < 0 {
			t.Fatalf("normalizePath(%q) = %q, which isNormalPath refuses", p, n)
		}
		if n[0] != '/' || n != "/" && (strings.HasSuffix(n, "/") || strings.Contains(n, "//")) {
			t.Fatalf("normalizePath(%q) = %q: want one leading slash, no empty segment", p, n)
		}
		for seg := range strings.SplitSeq(n[1:], "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("normalizePath(%q) = %q keeps a dot segment", p, n)
			}
		}
		_ = requestPathOf(p)
	})
}

// requestPathOf is requestPath for a raw path, for the fuzzer.
func requestPathOf(p string) reqPath {
	r := httptestRequest("")
	r.URL.RawPath, r.URL.Path = p, unescapeAll(p)
	return requestPath(r)
}

// TestPathVariantsAreOneRequest: spellings of /orders a lenient upstream
// routes to one handler are covered, and fingerprinted as one request, so
// a retry that spells the path differently replays instead of running again
// (or being 422).
func TestPathVariantsAreOneRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{{Name: "orders", Path: "/orders", Policy: Policy{Key: KeyRequired}}}}, nil)
	first := e.do(request{path: "/orders", key: "k", body: body1})
	for _, p := range []string{"/orders/", "/Orders", "/./orders", "//orders", "/%6Frders", "/x/../orders", "/orders;v=1", "/orders%2F"} {
		if w := e.do(request{path: p, body: body1}); w.Code != http.StatusBadRequest {
			t.Errorf("%s without a key: %d, want 400 missing-key (covered)", p, w.Code)
		}
		if w := e.do(request{path: p, key: "k", body: body1}); w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != first.Body.String() {
			t.Errorf("%s with the key: %d %s, want the replay of /orders", p, w.Code, w.Body)
		}
	}
	if n := e.calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// TestPathParametersKeepTheirCase: the route's own words match whatever
// their case, but a parameter is the client's: /orders/ABC and
// /orders/abc are two requests, never one's replay for the other.
func TestPathParametersKeepTheirCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{{Name: "cancel", Path: "/orders/{id}/cancel"}}}, nil)
	first := e.do(request{path: "/orders/ABC/cancel", key: "k", body: body1})
	if w := e.do(request{path: "/ORDERS/ABC/Cancel/", key: "k", body: body1}); w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != first.Body.String() {
		t.Errorf("/ORDERS/ABC/Cancel/: %d %s, want the replay", w.Code, w.Body)
	}
	if w := e.do(request{path: "/orders/abc/cancel", key: "k", body: body1}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("/orders/abc/cancel with ABC's key: %d, want 422 key-reused", w.Code)
	}
}

// TestFormatSuffixIsCoveredButAnotherRequest: /orders.json reaches
// /orders's handler in Rails, so it is covered; but it may be another
// representation, so /orders's key on it is 422, not /orders's replay.
func TestFormatSuffixIsCoveredButAnotherRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{{Name: "orders", Path: "/orders", Policy: Policy{Key: KeyRequired}}}}, nil)
	if w := e.do(request{path: "/orders.json", body: body1}); w.Code != http.StatusBadRequest {
		t.Errorf("/orders.json without a key: %d, want 400 missing-key (covered)", w.Code)
	}
	e.do(request{path: "/orders", key: "k", body: body1})
	if w := e.do(request{path: "/orders.json", key: "k", body: body1}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("/orders.json with /orders's key: %d, want 422", w.Code)
	}
	first := e.do(request{path: "/orders.json", key: "j", body: body1})
	if w := e.do(request{path: "/orders.json", key: "j", body: body1}); w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != first.Body.String() {
		t.Errorf("/orders.json retried: %d, want its replay", w.Code)
	}
	if n := e.calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}
