package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// post sends POST path with an Idempotency-Key through h, as an API
// client authenticated by its Authorization header (keys are per caller),
// and prints what came back.
func post(h http.Handler, path, key string) {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"sku":"A","quantity":1}`))
	r.Header.Set("Authorization", "Bearer sk_test_123")
	r.Header.Set("Idempotency-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Printf("%d replayed=%q %s", w.Code, w.Header().Get("Idempotent-Replayed"), w.Body)
}

// The middleware wraps a standard library ServeMux; a retry with the same
// key replays the first response instead of placing a second order.
func Example() {
	st, _ := memstore.New(memstore.Config{})
	idem, err := middleware.New(st, middleware.Config{
		Routes:     []middleware.Route{{Name: "orders", Path: "/orders", Policy: middleware.Policy{Key: middleware.KeyRequired}}},
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		panic(err)
	}
	orders := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "order %d\n", orders)
	})
	h := idem.Handler(mux)

	post(h, "/orders", "8e03978e-40d5-43e8-bc93-6894a57f9324")
	post(h, "/orders", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`) // the sf-string spelling of the same key
	fmt.Println("orders placed:", orders)
	// Output:
	// 201 replayed="" order 1
	// 201 replayed="true" order 1
	// orders placed: 1
}

// With gorilla/mux, Handler is a mux.MiddlewareFunc.
func Example_gorillaMux() {
	st, _ := memstore.New(memstore.Config{})
	idem, err := middleware.New(st, middleware.Config{
		Routes: []middleware.Route{{Name: "payments", PathPrefix: "/payments"}},
	})
	if err != nil {
		panic(err)
	}
	charges := 0
	r := mux.NewRouter()
	r.Use(idem.Handler)
	r.HandleFunc("/payments", func(w http.ResponseWriter, r *http.Request) {
		charges++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "charge %d\n", charges)
	}).Methods(http.MethodPost)

	post(r, "/payments", "k-1")
	post(r, "/payments", "k-1")
	post(r, "/payments", "k-2")
	fmt.Println("charges:", charges)
	// Output:
	// 201 replayed="" charge 1
	// 201 replayed="true" charge 1
	// 201 replayed="" charge 2
	// charges: 2
}
