package orderapp

import (
	"github.com/prometheus/client_golang/prometheus"
)

// newRegistry registers a's counters on a registry of its own. The
// counters read the adapters' own tallies when scraped, so they count what
// the fakes did, not what a handler hoped they did.
func newRegistry(a *App) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, read func() int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "orderapp",
			Name:      name,
			Help:      help,
		}, func() float64 { return float64(read()) }))
	}
	counter("orders_placed_total", "Orders saved.", a.orders.Saved)
	counter("payment_charges_total", "Payments charged, including those refunded later.", a.payment.Charges)
	counter("payment_refunds_total", "Charges refunded by saga compensation.", a.payment.Refunds)
	counter("inventory_reservations_total", "Successful stock reservations (one per order).", a.inventory.Reservations)
	counter("inventory_releases_total", "Stock reservations released by saga compensation.", a.inventory.Releases)
	counter("events_published_total", "OrderPlaced events published.", a.events.Published)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "orderapp",
		Name:      "outbox_pending",
		Help:      "Outbox entries saved with their order and not yet delivered.",
	}, func() float64 { return float64(a.orders.PendingCount()) }))
	counter("outbox_delivered_total", "OrderPlaced events the outbox relay delivered; a redelivery counts again.", a.relay.Delivered)
	counter("outbox_delivery_failures_total", "Failed outbox delivery attempts, each retried with backoff.", a.relay.Failures)
	return reg
}
