package orderapp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
	t.Cleanup(func() { // stop the relay at once, drained or not
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

// drain shuts a down once its relay has delivered every pending event, so
// that the counts that follow are final.
func drain(t *testing.T, a *orderapp.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
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

// metrics follow the Counts fields in order.
var metrics = []struct{ name, kind, help string }{
	{"orderapp_orders_placed_total", "counter", "Orders saved."},
	{"orderapp_payment_charges_total", "counter", "Payments charged, including those refunded later."},
	{"orderapp_payment_refunds_total", "counter", "Charges refunded by saga compensation."},
	{"orderapp_inventory_reservations_total", "counter", "Successful stock reservations (one per order)."},
	{"orderapp_inventory_releases_total", "counter", "Stock reservations released by saga compensation."},
	{"orderapp_events_published_total", "counter", "OrderPlaced events published."},
	{"orderapp_outbox_pending", "gauge", "Outbox entries saved with their order and not yet delivered."},
	{"orderapp_outbox_delivered_total", "counter", "OrderPlaced events the outbox relay delivered; a redelivery counts again."},
	{"orderapp_outbox_delivery_failures_total", "counter", "Failed outbox delivery attempts, each retried with backoff."},
}

// assertCounts checks want against Counts and, through prometheus/testutil,
// against the app's metrics registry.
func assertCounts(t *testing.T, a *orderapp.App, want orderapp.Counts) {
	t.Helper()
	if got := a.Counts(); got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	values := []int64{want.OrdersPlaced, want.PaymentCharges, want.PaymentRefunds,
		want.InventoryReservations, want.InventoryReleases, want.EventsPublished,
		want.OutboxPending, want.OutboxDelivered, want.OutboxFailures}
	var exposition strings.Builder
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
		fmt.Fprintf(&exposition, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.kind, m.name, values[i])
	}
	if err := testutil.GatherAndCompare(a.Registry(), strings.NewReader(exposition.String()), names...); err != nil {
		t.Errorf("metrics: %v", err)
	}
}
