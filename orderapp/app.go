package orderapp

import (
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
	// FailPublish makes every OrderPlaced publish fail: POST /orders
	// answers 503 and the order stays saved. Default: false.
	FailPublish bool
	// MaxBodyBytes bounds a request body (413 past it). Default: 1 MiB.
	MaxBodyBytes int64
	// Logger receives server-side failures. Default: slog.Default().
	Logger *slog.Logger
	// Now stamps orders. Default: time.Now.
	Now func() time.Time
}

// App is one orderapp: its HTTP handler, its metrics registry and the
// in-memory adapters behind them. Its methods are safe for concurrent use.
type App struct {
	handler  http.Handler
	registry *prometheus.Registry

	inventory *memory.Inventory
	payment   *memory.Payment
	orders    *memory.OrderRepository
	events    *memory.Publisher
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

	deps := app.PlaceOrderDeps{
		Inventory: memory.SlowInventory{InventoryGateway: a.inventory, Delay: opts.Latency},
		Payment:   a.payment,
		Orders:    a.orders,
		Events:    a.events,
		Publish:   app.PublishDirect,
		Now:       opts.Now,
	}
	if opts.FailPersist {
		deps.Orders = memory.FailingSaves{OrderRepository: a.orders}
	}
	if opts.FailPublish {
		deps.Events = memory.FailingPublisher{}
	}
	a.registry = newRegistry(a)
	a.handler = httpport.NewRouter(app.NewPlaceOrder(deps), app.NewGetOrder(a.orders), httpport.Config{
		Metrics:      promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}),
		Logger:       opts.Logger,
		MaxBodyBytes: opts.MaxBodyBytes,
	})
	return a, nil
}

// Handler returns the service: POST /orders, GET /orders/{id}, /metrics
// and /healthz.
func (a *App) Handler() http.Handler { return a.handler }

// Registry returns the app's own metrics registry (never the global one),
// for prometheus/testutil or another exporter.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// Counts is what the app's fakes have done so far. A charge later refunded
// counts in both PaymentCharges and PaymentRefunds.
type Counts struct {
	// OrdersPlaced counts orders saved (including those whose publish
	// then failed).
	OrdersPlaced          int64
	PaymentCharges        int64
	PaymentRefunds        int64
	InventoryReservations int64
	InventoryReleases     int64
	EventsPublished       int64
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
