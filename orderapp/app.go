package orderapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	httpport "github.com/idemproxy/idemproxy/orderapp/ports/http"
	"github.com/idemproxy/idemproxy/orderapp/relay"
)

// DefaultStock is the stock of every SKU not listed in Options.Stock,
// unless Options.DefaultStock says otherwise: plenty, so that tests that
// are not about stock never run out.
const DefaultStock = 1_000_000

// NoStock, as Options.DefaultStock, leaves SKUs not listed in
// Options.Stock with no stock at all.
const NoStock = -1

// DeclineToken is the payment token the fake payment provider declines.
const DeclineToken = memory.DeclineToken

// PublishMode says how an order's OrderPlaced event leaves (see
// Options.Publish); as a flag.TextVar it reads "outbox" or "direct".
type PublishMode = app.PublishMode

// The publish modes.
const (
	PublishOutbox = app.PublishOutbox
	PublishDirect = app.PublishDirect
)

// Options configures New. The zero value is a working service.
type Options struct {
	// Stock is the initial stock of the SKUs it lists. Default: none.
	Stock map[string]int64
	// DefaultStock is the initial stock of every other SKU; NoStock (or any
	// negative value) means none. Default: 0 means DefaultStock.
	DefaultStock int64
	// Latency delays every valid POST /orders after validation, before
	// anything is reserved, to simulate slow work. Default: 0.
	Latency time.Duration
	// FailPersist makes every save fail: POST /orders answers 500 after
	// refunding the charge and releasing the stock. Default: false.
	FailPersist bool
	// Publish says how OrderPlaced leaves. PublishOutbox saves it with the
	// order in one atomic step and the relay publishes it, at least once,
	// in the background; PublishDirect is the seed's inline publish after
	// the save. Default: PublishOutbox.
	Publish PublishMode
	// FailPublish makes every OrderPlaced publish fail. With the outbox
	// POST /orders still answers 201 and the events wait, the relay
	// retrying them with backoff; with PublishDirect it answers 503 and the
	// order stays saved. Default: false.
	FailPublish bool
	// MaxBodyBytes bounds a request body (413 past it). Default: 1 MiB.
	MaxBodyBytes int64
	// Logger receives server-side failures. Default: slog.Default().
	Logger *slog.Logger
	// Now stamps orders. Default: time.Now.
	Now func() time.Time
}

// App is one orderapp: its HTTP handler, its metrics registry, the
// in-memory adapters behind them and, with the outbox, the relay, which
// runs from New until Shutdown. Its methods are safe for concurrent use.
type App struct {
	handler  http.Handler
	registry *prometheus.Registry

	inventory *memory.Inventory
	payment   *memory.Payment
	orders    *memory.OrderRepository
	events    *memory.Publisher
	relay     *relay.Relay
}

// New builds an App from opts, or reports the option that is invalid.
func New(opts Options) (*App, error) {
	stock := make(map[domain.Sku]int64, len(opts.Stock))
	for s, n := range opts.Stock {
		sku, err := domain.NewSku(s)
		if err != nil {
			return nil, fmt.Errorf("orderapp: stock: %q: %w", s, err)
		}
		if n < 0 {
			return nil, fmt.Errorf("orderapp: stock: %s: %d is negative", s, n)
		}
		stock[sku] = n
	}
	unlisted := opts.DefaultStock
	switch {
	case unlisted == 0:
		unlisted = DefaultStock
	case unlisted < 0:
		unlisted = 0
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("orderapp: latency %v is negative", opts.Latency)
	}
	if opts.Publish != PublishOutbox && opts.Publish != PublishDirect {
		return nil, fmt.Errorf("orderapp: unknown %v", opts.Publish)
	}
	inventory, err := memory.NewInventory(stock, unlisted)
	if err != nil {
		return nil, fmt.Errorf("orderapp: %w", err)
	}
	a := &App{
		inventory: inventory,
		payment:   memory.NewPayment(),
		orders:    memory.NewOrderRepository(),
		events:    memory.NewPublisher(),
	}

	var events app.EventPublisher = a.events
	if opts.FailPublish {
		events = memory.FailingPublisher{}
	}
	a.relay, err = relay.New(a.orders, events, relay.Config{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("orderapp: %w", err)
	}
	deps := app.PlaceOrderDeps{
		Inventory: memory.SlowInventory{InventoryGateway: a.inventory, Delay: opts.Latency},
		Payment:   a.payment,
		Orders:    a.relay.WakeOnSave(a.orders),
		Events:    events,
		Publish:   opts.Publish,
		Now:       opts.Now,
	}
	if opts.FailPersist {
		deps.Orders = memory.FailingSaves{OrderRepository: a.orders}
	}
	a.registry = newRegistry(a)
	a.handler = httpport.NewRouter(app.NewPlaceOrder(deps), app.NewGetOrder(a.orders), httpport.Config{
		Metrics:      promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}),
		Logger:       opts.Logger,
		MaxBodyBytes: opts.MaxBodyBytes,
	})
	if opts.Publish == PublishOutbox {
		a.relay.Start()
	}
	return a, nil
}

// Shutdown stops the relay once it has delivered every pending event, and
// returns nil; when ctx ends first it stops at once and reports how many
// events were left undelivered (the memory outbox loses them on exit).
// Stop serving HTTP first: an order placed after Shutdown keeps its event
// pending. Calling it again returns the first call's outcome.
func (a *App) Shutdown(ctx context.Context) error {
	if err := a.relay.Shutdown(ctx); err != nil {
		return fmt.Errorf("orderapp: undelivered events: %d: %w", a.orders.PendingCount(), err)
	}
	return nil
}

// Handler returns the service: POST /orders, GET /orders/{id}, /metrics
// and /healthz.
func (a *App) Handler() http.Handler { return a.handler }

// Registry returns the app's own metrics registry (never the global one),
// for prometheus/testutil or another exporter.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// Counts is what the app's fakes and its relay have done so far. A charge
// later refunded counts in both PaymentCharges and PaymentRefunds.
type Counts struct {
	// OrdersPlaced counts orders saved (including those whose publish
	// then failed).
	OrdersPlaced          int64
	PaymentCharges        int64
	PaymentRefunds        int64
	InventoryReservations int64
	InventoryReleases     int64
	// EventsPublished counts the events the publisher accepted, in either
	// mode; with the outbox, an event redelivered counts again.
	EventsPublished int64
	// OutboxPending counts events saved and not yet delivered.
	OutboxPending int64
	// OutboxDelivered counts the relay's accepted publishes, and
	// OutboxFailures its failed attempts.
	OutboxDelivered int64
	OutboxFailures  int64
}

// Counts returns the counters behind the metrics, read now. Each is read
// on its own, so a snapshot taken while orders run may mix moments.
func (a *App) Counts() Counts {
	return Counts{
		OrdersPlaced:          a.orders.Saved(),
		PaymentCharges:        a.payment.Charges(),
		PaymentRefunds:        a.payment.Refunds(),
		InventoryReservations: a.inventory.Reservations(),
		InventoryReleases:     a.inventory.Releases(),
		EventsPublished:       a.events.Published(),
		OutboxPending:         a.orders.PendingCount(),
		OutboxDelivered:       a.relay.Delivered(),
		OutboxFailures:        a.relay.Failures(),
	}
}

// Stock returns the units of sku on hand now; 0 for a string that is no
// valid SKU (nothing can be stocked under it).
func (a *App) Stock(sku string) int64 {
	s, err := domain.NewSku(sku)
	if err != nil {
		return 0
	}
	return a.inventory.Available(s)
}
