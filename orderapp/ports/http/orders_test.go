package httpport_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	httpport "github.com/idemproxy/idemproxy/orderapp/ports/http"
)

func TestPlaceOrderCreated(t *testing.T) {
	t.Parallel()
	o := testOrder(t)
	s := &stub{receipt: app.Receipt{OrderID: o.ID(), CustomerID: o.CustomerID(), Total: o.Total()}}
	h, _ := router(s, httpport.Config{})
	rec := do(h, http.MethodPost, "/orders",
		`{"customer_id":"c1","payment_token":"tok_visa","lines":[{"sku":"A","quantity":2,"unit_price":"12.50"},{"sku":"B","quantity":1,"unit_price":"3"}]}`)

	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Location"), "/orders/"+o.ID().String(); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	want := `{"order_id":"` + o.ID().String() + `","customer_id":"c1","total":"25.00"}` + "\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	wantCmd := app.PlaceOrderCommand{CustomerID: "c1", PaymentToken: "tok_visa", Lines: []app.PlaceOrderLine{
		{Sku: "A", Quantity: 2, UnitPrice: "12.50"}, {Sku: "B", Quantity: 1, UnitPrice: "3"}}}
	if got := s.placed(); len(got) != 1 || !equalCmd(got[0], wantCmd) {
		t.Errorf("commands = %+v, want [%+v]", got, wantCmd)
	}
}

func equalCmd(a, b app.PlaceOrderCommand) bool {
	if a.CustomerID != b.CustomerID || a.PaymentToken != b.PaymentToken || len(a.Lines) != len(b.Lines) {
		return false
	}
	for i := range a.Lines {
		if a.Lines[i] != b.Lines[i] {
			return false
		}
	}
	return true
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	o := testOrder(t)
	h, _ := router(&stub{order: o}, httpport.Config{})
	rec := do(h, http.MethodGet, "/orders/"+o.ID().String(), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"order_id": o.ID().String(), "customer_id": "c1", "total": "25.00", "created_at": "2025-06-01T12:00:00Z",
		"lines": []any{map[string]any{"sku": "A", "quantity": 2.0, "unit_price": "12.50", "subtotal": "25.00"}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("body = %s, want %s", gotJSON, wantJSON)
	}

	nf, _ := router(&stub{err: &domain.OrderNotFoundError{ID: "nope"}}, httpport.Config{})
	rec = do(nf, http.MethodGet, "/orders/nope", "")
	if b := decodeError(t, rec); rec.Code != http.StatusNotFound || b.Type != "OrderNotFound" {
		t.Errorf("unknown order: %d %+v, want 404 OrderNotFound", rec.Code, b)
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "probe_total", Help: "h"}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	tests := []struct {
		name       string
		metrics    http.Handler
		method     string
		target     string
		wantStatus int
		wantBody   string // a substring
	}{
		{name: "healthz", method: http.MethodGet, target: "/healthz", wantStatus: http.StatusOK, wantBody: "ok"},
		{name: "metrics", metrics: metrics, method: http.MethodGet, target: "/metrics", wantStatus: http.StatusOK, wantBody: "probe_total 0"},
		{name: "no metrics handler", method: http.MethodGet, target: "/metrics", wantStatus: http.StatusNotFound, wantBody: `"type":"NotFound"`},
		{name: "unknown route", method: http.MethodGet, target: "/nope", wantStatus: http.StatusNotFound, wantBody: `"type":"NotFound"`},
		{name: "wrong method", method: http.MethodGet, target: "/orders", wantStatus: http.StatusMethodNotAllowed, wantBody: `"type":"MethodNotAllowed"`},
		{name: "post to an order", method: http.MethodPost, target: "/orders/x", wantStatus: http.StatusMethodNotAllowed, wantBody: `"type":"MethodNotAllowed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, _ := router(&stub{}, httpport.Config{Metrics: tc.metrics})
			rec := do(h, tc.method, tc.target, "")
			if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("%s %s = %d %q, want %d and %q", tc.method, tc.target, rec.Code, rec.Body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

// errReader fails like a client that hangs up mid-body.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestUnreadableBody(t *testing.T) {
	t.Parallel()
	s := &stub{}
	h, _ := router(s, httpport.Config{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/orders", errReader{}))
	if b := decodeError(t, rec); rec.Code != http.StatusBadRequest || b.Message != "request body: could not be read" {
		t.Errorf("unreadable body: %d %+v, want 400 naming the request body", rec.Code, b)
	}
	if len(s.placed()) != 0 {
		t.Error("the use case ran for an unreadable body")
	}
}

func TestNewRouterPanicsWithoutUseCases(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewRouter(nil, nil) did not panic")
		}
	}()
	httpport.NewRouter(nil, nil, httpport.Config{})
}
