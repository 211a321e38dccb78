package orderapp_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp"
)

func TestPlaceThenGet(t *testing.T) {
	t.Parallel()
	a := newApp(t, orderapp.Options{Stock: map[string]int64{"A": 3}})
	rec := serve(a.Handler(), http.MethodPost, "/orders", orderBody("tok_visa", "A", 2))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST status = %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	var receipt struct {
		OrderID    string `json:"order_id"`
		CustomerID string `json:"customer_id"`
		Total      string `json:"total"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &receipt); err != nil {
		t.Fatal(err)
	}
	if receipt.CustomerID != "c1" || receipt.Total != "25.00" {
		t.Errorf("receipt = %+v, want customer c1, total 25.00", receipt)
	}
	loc := rec.Header().Get("Location")
	if loc != "/orders/"+receipt.OrderID {
		t.Errorf("Location = %q, want /orders/%s", loc, receipt.OrderID)
	}
	got := serve(a.Handler(), http.MethodGet, loc, "")
	if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `"total":"25.00"`) {
		t.Errorf("GET %s = %d %s, want 200 with the total", loc, got.Code, got.Body)
	}
	drain(t, a)
	assertCounts(t, a, orderapp.Counts{OrdersPlaced: 1, PaymentCharges: 1, InventoryReservations: 1, EventsPublished: 1, OutboxDelivered: 1})
	if s := a.Stock("A"); s != 1 {
		t.Errorf("Stock(A) = %d, want 1", s)
	}
}

// TestErrorPaths drives every error of POST /orders through the real
// service and checks status, type, what the fakes did and the stock left.
func TestErrorPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       orderapp.Options
		body       string
		wantStatus int
		wantType   string
		wantCounts orderapp.Counts
		wantStock  int64 // of SKU A, listed with 3
	}{
		{name: "zero quantity", body: orderBody("tok_visa", "A", 0),
			wantStatus: 400, wantType: "ValidationError", wantStock: 3},
		{name: "absurd quantity", body: orderBody("tok_visa", "A", 1_000_000_000),
			wantStatus: 400, wantType: "ValidationError", wantStock: 3},
		{name: "unknown field", body: `{"customer_id":"c1","discount":"100%"}`,
			wantStatus: 400, wantType: "ValidationError", wantStock: 3},
		{name: "body too large", opts: orderapp.Options{MaxBodyBytes: 64}, body: orderBody("tok_visa", "A", 1),
			wantStatus: 413, wantType: "RequestTooLarge", wantStock: 3},
		{name: "out of stock", body: orderBody("tok_visa", "A", 4),
			wantStatus: 409, wantType: "OutOfStock", wantStock: 3},
		{name: "unlisted sku with NoStock", opts: orderapp.Options{DefaultStock: orderapp.NoStock}, body: orderBody("tok_visa", "B", 1),
			wantStatus: 409, wantType: "OutOfStock", wantStock: 3},
		{name: "declined payment leaves stock and charges nothing", body: orderBody(orderapp.DeclineToken, "A", 2),
			wantStatus: 402, wantType: "PaymentDeclined",
			wantCounts: orderapp.Counts{InventoryReservations: 1, InventoryReleases: 1}, wantStock: 3},
		{name: "failed save refunds and releases", opts: orderapp.Options{FailPersist: true}, body: orderBody("tok_visa", "A", 2),
			wantStatus: 500, wantType: "PersistenceError",
			wantCounts: orderapp.Counts{PaymentCharges: 1, PaymentRefunds: 1, InventoryReservations: 1, InventoryReleases: 1}, wantStock: 3},
		{name: "failed direct publish keeps the order", opts: orderapp.Options{Publish: orderapp.PublishDirect, FailPublish: true}, body: orderBody("tok_visa", "A", 2),
			wantStatus: 503, wantType: "PublishError",
			wantCounts: orderapp.Counts{OrdersPlaced: 1, PaymentCharges: 1, InventoryReservations: 1}, wantStock: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Stock = map[string]int64{"A": 3}
			a := newApp(t, tc.opts)
			rec := serve(a.Handler(), http.MethodPost, "/orders", tc.body)
			var b struct{ Type, Message string }
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tc.wantStatus || b.Type != tc.wantType {
				t.Errorf("POST = %d %+v, want %d %s", rec.Code, b, tc.wantStatus, tc.wantType)
			}
			if b.Message == "" {
				t.Error("error message is empty")
			}
			assertCounts(t, a, tc.wantCounts)
			if s := a.Stock("A"); s != tc.wantStock {
				t.Errorf("Stock(A) = %d, want %d", s, tc.wantStock)
			}
		})
	}
}

// TestPublishErrorOrderIsReadable follows the seed (PublishDirect): the
// order whose event was lost stays saved and charged, and the 503 names it.
func TestPublishErrorOrderIsReadable(t *testing.T) {
	t.Parallel()
	a := newApp(t, orderapp.Options{Publish: orderapp.PublishDirect, FailPublish: true})
	rec := serve(a.Handler(), http.MethodPost, "/orders", orderBody("tok_visa", "A", 1))
	id := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(rec.Body.String())
	if rec.Code != http.StatusServiceUnavailable || id == "" {
		t.Fatalf("POST = %d %s, want 503 naming the order", rec.Code, rec.Body)
	}
	if got := serve(a.Handler(), http.MethodGet, "/orders/"+id, ""); got.Code != http.StatusOK {
		t.Errorf("GET /orders/%s = %d, want 200", id, got.Code)
	}
}

func TestGetUnknownOrder(t *testing.T) {
	t.Parallel()
	a := newApp(t, orderapp.Options{})
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
		rec := serve(a.Handler(), http.MethodGet, "/orders/"+id, "")
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"type":"OrderNotFound"`) {
			t.Errorf("GET /orders/%s = %d %s, want 404 OrderNotFound", id, rec.Code, rec.Body)
		}
	}
}

func TestDefaultStock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts orderapp.Options
		want int64
	}{
		{name: "zero value", opts: orderapp.Options{}, want: orderapp.DefaultStock},
		{name: "explicit", opts: orderapp.Options{DefaultStock: 7}, want: 7},
		{name: "none", opts: orderapp.Options{DefaultStock: orderapp.NoStock}, want: 0},
		{name: "listed sku keeps its own", opts: orderapp.Options{Stock: map[string]int64{"ANY": 2}}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := newApp(t, tc.opts).Stock("ANY"); got != tc.want {
				t.Errorf("Stock(ANY) = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts orderapp.Options
	}{
		{name: "negative stock", opts: orderapp.Options{Stock: map[string]int64{"A": -1}}},
		{name: "invalid sku", opts: orderapp.Options{Stock: map[string]int64{"A B": 1}}},
		{name: "negative latency", opts: orderapp.Options{Latency: -time.Second}},
		{name: "unknown publish mode", opts: orderapp.Options{Publish: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := orderapp.New(tc.opts); err == nil {
				t.Errorf("New(%+v) error = nil, want an error", tc.opts)
			}
		})
	}
}

func TestHealthAndMetricsRoutes(t *testing.T) {
	t.Parallel()
	a := newApp(t, orderapp.Options{})
	if rec := serve(a.Handler(), http.MethodGet, "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", rec.Code)
	}
	rec := serve(a.Handler(), http.MethodGet, "/metrics", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "orderapp_payment_charges_total 0") {
		t.Errorf("GET /metrics = %d %s, want 200 with orderapp_payment_charges_total", rec.Code, rec.Body)
	}
}
