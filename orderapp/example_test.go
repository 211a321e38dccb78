package orderapp_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/idemproxy/idemproxy/orderapp"
)

// New builds the whole service in process; Counts (or the Registry) then
// tells how many times each side effect really happened. Shutdown stops
// the outbox relay once it has delivered every OrderPlaced event.
func ExampleNew() {
	a, err := orderapp.New(orderapp.Options{Stock: map[string]int64{"SKU-1": 10}})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/orders", "application/json", strings.NewReader(
		`{"customer_id":"c-1","payment_token":"tok_visa","lines":[{"sku":"SKU-1","quantity":2,"unit_price":"12.50"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	if err := a.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}

	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.Header.Get("Location"), "/orders/"))
	fmt.Printf("%+v\n", a.Counts())
	fmt.Println("SKU-1 left:", a.Stock("SKU-1"))
	// Output:
	// 201 true
	// {OrdersPlaced:1 PaymentCharges:1 PaymentRefunds:0 InventoryReservations:1 InventoryReleases:0 EventsPublished:1 OutboxPending:0 OutboxDelivered:1 OutboxFailures:0}
	// SKU-1 left: 8
}
