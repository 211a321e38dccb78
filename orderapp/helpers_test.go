package orderapp_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/orderapp"
)

// quiet is a logger for tests whose 5xx paths are expected.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newApp(t *testing.T, opts orderapp.Options) *orderapp.App {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	a, err := orderapp.New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return a
}

// orderBody is a POST /orders body for one line.
func orderBody(token, sku string, quantity int) string {
	return fmt.Sprintf(`{"customer_id":"c1","payment_token":%q,"lines":[{"sku":%q,"quantity":%d,"unit_price":"12.50"}]}`,
		token, sku, quantity)
}

func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	return rec
}

// metricNames and help follow the Counts fields in order.
var metrics = []struct{ name, help string }{
	{"orderapp_orders_placed_total", "Orders saved."},
	{"orderapp_payment_charges_total", "Payments charged, including those refunded later."},
	{"orderapp_payment_refunds_total", "Charges refunded by saga compensation."},
	{"orderapp_inventory_reservations_total", "Successful stock reservations (one per order)."},
	{"orderapp_inventory_releases_total", "Stock reservations released by saga compensation."},
	{"orderapp_events_published_total", "OrderPlaced events published."},
}

// assertCounts checks want against Counts and, through prometheus/testutil,
// against the app's metrics registry.
func assertCounts(t *testing.T, a *orderapp.App, want orderapp.Counts) {
	t.Helper()
	if got := a.Counts(); got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	values := []int64{want.OrdersPlaced, want.PaymentCharges, want.PaymentRefunds,
		want.InventoryReservations, want.InventoryReleases, want.EventsPublished}
	var exposition strings.Builder
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
		fmt.Fprintf(&exposition, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", m.name, m.help, m.name, m.name, values[i])
	}
	if err := testutil.GatherAndCompare(a.Registry(), strings.NewReader(exposition.String()), names...); err != nil {
		t.Errorf("metrics: %v", err)
	}
}
