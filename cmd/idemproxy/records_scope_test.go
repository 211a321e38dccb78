package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// TestAdminRecordAddressNeedsTheRouteScope: an address without the scope
// its route reads cannot name a record, so it is 400 naming that scope, not
// a 404 that suggests the record does not exist.
func TestAdminRecordAddressNeedsTheRouteScope(t *testing.T) {
	t.Parallel()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := middleware.New(st, middleware.Config{Routes: []middleware.Route{
		{Name: "orders", Path: "/orders", Policy: middleware.Policy{Scope: "json:/customer_id"}},
		{Name: "payments", Path: "/payments"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(&records{token: "s3cret", mw: mw, store: st, log: log})
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		q      url.Values
		status int
		names  string
	}{
		{url.Values{"route": {"orders"}, "key": {"k"}}, http.StatusBadRequest, "json:/customer_id"},
		{url.Values{"route": {"payments"}, "key": {"k"}}, http.StatusBadRequest, "header:Authorization"},
		{url.Values{"route": {"orders"}, "key": {"k"}, "scope": {"c-1"}}, http.StatusBadRequest, "as JSON"},
		{url.Values{"route": {"orders"}, "key": {"k"}, "scope": {`"c-1"`}}, http.StatusNotFound, ""},
		{url.Values{"route": {"payments"}, "key": {"k"}, "scope": {"bearer t0k"}}, http.StatusNotFound, ""},
	} {
		status, body := call(t, http.MethodGet, srv.URL+"/records?"+tc.q.Encode(), "s3cret")
		if status != tc.status || !strings.Contains(body, tc.names) {
			t.Errorf("GET /records?%s = %d %s, want %d naming %q", tc.q.Encode(), status, body, tc.status, tc.names)
		}
	}
}
