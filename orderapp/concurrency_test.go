package orderapp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp"
)

// TestLastUnitsNeverOversell races many one-unit orders over real HTTP for
// the last few units of a SKU: exactly the stock is sold, every other
// order is a 409, nobody is charged without an order, and the relay
// delivers each sold order's event once.
func TestLastUnitsNeverOversell(t *testing.T) {
	t.Parallel()
	const stock, buyers = 5, 48
	a := newApp(t, orderapp.Options{Stock: map[string]int64{"LAST": stock}})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	statuses := make(chan int, buyers)
	errs := make(chan error, buyers)
	var wg sync.WaitGroup
	for range buyers {
		wg.Go(func() {
			resp, err := srv.Client().Post(srv.URL+"/orders", "application/json",
				strings.NewReader(orderBody("tok_visa", "LAST", 1)))
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	close(errs)
	for err := range errs {
		t.Errorf("POST: %v", err)
	}
	byStatus := map[int]int{}
	for s := range statuses {
		byStatus[s]++
	}
	want := map[int]int{http.StatusCreated: stock, http.StatusConflict: buyers - stock}
	if fmt.Sprint(byStatus) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, want %v", byStatus, want)
	}
	if s := a.Stock("LAST"); s != 0 {
		t.Errorf("Stock(LAST) = %d, want 0", s)
	}
	drain(t, a)
	assertCounts(t, a, orderapp.Counts{OrdersPlaced: stock, PaymentCharges: stock, InventoryReservations: stock,
		EventsPublished: stock, OutboxDelivered: stock})
}
