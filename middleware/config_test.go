package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

func TestNewReportsEveryConfigProblemByField(t *testing.T) {
	t.Parallel()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(mem, Config{
		HeaderName: "bad header",
		Policy: Policy{
			Key: "sometimes", Scope: "cookie:x", Body: "xml", MaxRequestBody: -1,
			TTL: time.Second, Lease: time.Minute, InProgress: "spin", OnAbandoned: "pray",
			FailMode: "ajar", Statuses: map[string]Action{"7xx": ActionFail}, FingerprintHeaders: []string{"a b"},
		},
		Routes: []Route{{Path: "orders", PathPrefix: "/x", Policy: Policy{WaitTimeout: -time.Second}}},
	})
	if err == nil {
		t.Fatal("New accepted a broken config")
	}
	for _, field := range []string{
		"HeaderName", "\nKey:", "\nScope:", "\nBody:", "\nMaxRequestBody:",
		"\nTTL:", "\nInProgress:", "\nOnAbandoned:", "\nFailMode:",
		"\nStatuses:", "\nFingerprintHeaders:", "Routes[0].WaitTimeout",
		"Routes[0].Path and PathPrefix", "Routes[0].Path:",
	} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
	if strings.Contains(err.Error(), "Routes[0].Key") {
		t.Errorf("a Config problem is repeated for the route that inherits it:\n%v", err)
	}
}

func TestDuplicateRouteNamesAreRefused(t *testing.T) {
	t.Parallel()
	mem, _ := memstore.New(memstore.Config{})
	_, err := New(mem, Config{Routes: []Route{{Name: "a", Path: "/x"}, {Name: "a", Path: "/y"}}})
	if err == nil || !strings.Contains(err.Error(), "Routes[1].Name") {
		t.Errorf("New with two routes named a: %v, want an error naming Routes[1].Name", err)
	}
}

func TestScopeSpecs(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"none", "header:Authorization", "header:X-Api-Key", "json:/customer_id", "json:/a~1b/0", "json:/"} {
		if _, err := parseScope(spec); err != nil {
			t.Errorf("parseScope(%q) = %v, want nil", spec, err)
		}
	}
	for _, spec := range []string{"", "none:x", "header:", "header:a b", "json:", "json:customer_id", "json:/a~2", "cookie:sid"} {
		if _, err := parseScope(spec); err == nil {
			t.Errorf("parseScope(%q) = nil, want an error", spec)
		}
	}
}

func TestRouteMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		route  Route
		method string
		path   string
		want   bool
	}{
		{Route{}, "POST", "/anything", true},
		{Route{}, "PATCH", "/x", true},
		{Route{}, "GET", "/x", false},
		{Route{}, "PUT", "/x", false},
		{Route{Methods: []string{"put"}}, "PUT", "/x", true},
		{Route{Path: "/orders"}, "POST", "/orders", true},
		{Route{Path: "/orders"}, "POST", "/orders/", true},
		{Route{Path: "/orders"}, "POST", "/Orders", true},
		{Route{Path: "/orders"}, "POST", "/ORDERS/", true},
		{Route{Path: "/orders", CaseSensitive: true}, "POST", "/Orders", false},
		{Route{Path: "/orders", CaseSensitive: true}, "POST", "/orders/", true},
		{Route{Path: "/orders"}, "POST", "/./orders", true},
		{Route{Path: "/orders"}, "POST", "//orders", true},
		{Route{Path: "/orders"}, "POST", "/orders/.", true},
		{Route{Path: "/orders"}, "POST", "/x/../orders", true},
		{Route{Path: "/orders"}, "POST", "/../orders", true},
		{Route{Path: "/orders"}, "POST", "/%6Frders", true},
		{Route{Path: "/orders"}, "POST", "/%2e/orders", true},
		{Route{Path: "/orders"}, "POST", "/orders;jsessionid=1", true},
		{Route{Path: "/orders"}, "POST", "/orders%2F", true},
		{Route{Path: "/orders"}, "POST", "/orders%2Fx", false},
		{Route{Path: "/orders"}, "POST", "/orders.json", true},
		{Route{Path: "/orders"}, "POST", "/Orders.XML/", true},
		{Route{Path: "/orders"}, "POST", "/orders%20", true},
		{Route{Path: "/orders"}, "POST", "/orders\\", true},
		{Route{Path: "/orders"}, "POST", "/orders.tar.gz", false},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders/1/cancel.json", true},
		{Route{Path: "/api.v2/orders"}, "POST", "/api.v2/orders", true},
		{Route{Path: "/orders"}, "POST", "/ordersx", false},
		{Route{Path: "/orders/"}, "POST", "/orders", true},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders/a%2Fb/cancel", true},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/Orders//42/CANCEL/", true},
		{Route{PathPrefix: "/v1/"}, "POST", "/v1", true},
		{Route{PathPrefix: "/v1/"}, "POST", "/V1//payments", true},
		{Route{PathPrefix: "/v1/"}, "POST", "/v1x", false},
		{Route{PathPrefix: "/v1"}, "POST", "/v1x", true},
		{Route{PathPrefix: "/"}, "POST", "/anything", true},
		{Route{Path: "/orders"}, "POST", "/orders/1", false},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders/42/cancel", true},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders//cancel", false},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders/42/cancel/x", false},
		{Route{Path: "/orders/{id}/cancel"}, "POST", "/orders/42", false},
		{Route{PathPrefix: "/v1/"}, "POST", "/v1/payments", true},
		{Route{PathPrefix: "/v1/"}, "POST", "/v2/payments", false},
	}
	for _, tc := range tests {
		rt, errs := newRoute(tc.route, Policy{}, defaultPolicy, 0, map[fieldError]bool{})
		if len(errs) > 0 {
			t.Fatalf("newRoute(%+v): %v", tc.route, errs)
		}
		r := httptest.NewRequest(tc.method, tc.path, nil)
		if got := rt.matches(r.Method, requestPath(r)); got != tc.want {
			t.Errorf("route %+v matches %s %s = %v, want %v", tc.route, tc.method, tc.path, got, tc.want)
		}
	}
}

// TestMetricsCountOutcomesOnCallersRegistry: outcomes are counted by route
// name on the registry the caller passed, and two middlewares may share one.
func TestMetricsCountOutcomesOnCallersRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{{Name: "orders", PathPrefix: "/orders"}}}, nil)
	e.do(request{key: "m1", body: body1})                 // executed
	e.do(request{key: "m1", body: body1})                 // replayed
	e.do(request{key: "m1", body: "{}"})                  // mismatch
	e.do(request{body: body1})                            // bypassed
	e.do(request{lines: []string{"a", "b"}, body: body1}) // invalid key
	for o, want := range map[Outcome]float64{
		OutcomeExecuted: 1, OutcomeReplayed: 1, OutcomeMismatch: 1, OutcomeBypassed: 1, OutcomeInvalidKey: 1, OutcomeConflict: 0,
	} {
		if got := e.outcome("orders", o); got != want {
			t.Errorf("requests_total{route=orders,outcome=%s} = %v, want %v", o, got, want)
		}
	}
	second, err := New(e.mem, Config{Registerer: e.reg, Routes: []Route{{Name: "orders", PathPrefix: "/orders"}}})
	if err != nil {
		t.Fatalf("a second middleware on the same registry: %v", err)
	}
	w := httptest.NewRecorder()
	second.Handler(ordersHandler(e)).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/orders", nil))
	if got := e.outcome("orders", OutcomeBypassed); got != 2 {
		t.Errorf("after the second middleware bypassed one: bypassed = %v, want 2 (shared series)", got)
	}
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{
		"idemproxy_requests_total", "idemproxy_request_duration_seconds", "idemproxy_store_operation_duration_seconds",
		"idemproxy_stored_response_bytes", "idemproxy_in_flight_requests", "idemproxy_store_errors_total",
	} {
		if !names[want] {
			t.Errorf("registry lacks %s; has %v", want, names)
		}
	}
	if _, err := New(e.mem, Config{Registerer: prometheus.NewRegistry()}); err != nil {
		t.Errorf("New on a fresh registry: %v", err)
	}
}

// TestStorageKeyAddressesTheRecord: an operator's (route, scope, key)
// finds exactly the record a request made.
func TestStorageKeyAddressesTheRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Routes: []Route{{Name: "orders", Path: "/orders", Policy: Policy{Scope: "json:/customer_id"}}}}, nil)
	e.do(request{key: "op-1", body: body1})
	k, err := e.mw.StorageKey("orders", `"c1"`, `"op-1"`)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.mem.Get(context.Background(), k)
	if err != nil || rec.State != store.Completed {
		t.Fatalf("Get(StorageKey) = %v, %v; want the completed record", rec.State, err)
	}
	if other, _ := e.mw.StorageKey("orders", `"c2"`, "op-1"); other == k {
		t.Error("another customer's scope addresses the same record")
	}
	if _, err := e.mw.StorageKey("payments", "", "op-1"); err == nil {
		t.Error("StorageKey of an unknown route: nil error")
	}
	if _, err := e.mw.StorageKey("orders", `"c1"`, ""); err == nil {
		t.Error("StorageKey of an empty key: nil error")
	}
	if got := e.mw.RouteNames(); len(got) != 1 || got[0] != "orders" {
		t.Errorf("RouteNames() = %q, want [orders]", got)
	}
}

func TestOwnerTokensAreUnique(t *testing.T) {
	t.Parallel()
	a, b := newOwners(), newOwners()
	seen := map[string]bool{}
	for range 1000 {
		for _, o := range []string{a.next(), b.next()} {
			if seen[o] {
				t.Fatalf("owner token %q issued twice", o)
			}
			seen[o] = true
		}
	}
}
