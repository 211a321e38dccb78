package httpport

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// DefaultMaxBodyBytes is the default bound on a request body: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// Placer places orders; *app.PlaceOrder is one.
type Placer interface {
	Place(ctx context.Context, cmd app.PlaceOrderCommand) (app.Receipt, error)
}

// Getter reads orders back; *app.GetOrder is one.
type Getter interface {
	Get(ctx context.Context, id string) (domain.Order, error)
}

// Config holds the optional settings of the router.
type Config struct {
	// Metrics serves GET /metrics. Default: nil, no /metrics route.
	Metrics http.Handler
	// Logger receives server-side failures: every 5xx, and failed
	// compensations whatever the status. Default: slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; a larger one is a 413.
	// Default: DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// handlers holds what every route needs.
type handlers struct {
	place   Placer
	get     Getter
	log     *slog.Logger
	maxBody int64
}

// NewRouter returns the HTTP port of the use cases. It panics when place or
// get is nil.
func NewRouter(place Placer, get Getter, cfg Config) http.Handler {
	if place == nil || get == nil {
		panic("httpport: NewRouter needs a Placer and a Getter")
	}
	h := &handlers{place: place, get: get, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	r := mux.NewRouter()
	r.HandleFunc("/orders", h.placeOrder).Methods(http.MethodPost)
	r.HandleFunc("/orders/{id}", h.getOrder).Methods(http.MethodGet)
	r.HandleFunc("/healthz", healthz).Methods(http.MethodGet)
	if cfg.Metrics != nil {
		r.Handle("/metrics", cfg.Metrics).Methods(http.MethodGet)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Type: "NotFound", Message: "no such route"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Type: "MethodNotAllowed", Message: req.Method + " is not allowed here"})
	})
	return r
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}
