package middleware_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/orderapp"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// newOrderStack puts the real orderapp behind the middleware, configured as
// the sample config fronts it: POST /orders requires a key, scoped by the
// body's customer_id.
func newOrderStack(t *testing.T, mode middleware.InProgressMode) (http.Handler, *orderapp.App) {
	t.Helper()
	app, err := orderapp.New(orderapp.Options{Stock: map[string]int64{"LAST": 3}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := middleware.New(st, middleware.Config{
		Routes: []middleware.Route{{Name: "orders", Path: "/orders", Policy: middleware.Policy{
			Key: middleware.KeyRequired, Scope: "json:/customer_id", InProgress: mode,
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return mw.Handler(app.Handler()), app
}

func placeOrder(h http.Handler, key, customer, token, sku string) (int, string) {
	body := fmt.Sprintf(`{"customer_id":%q,"payment_token":%q,"lines":[{"sku":%q,"quantity":1,"unit_price":"12.50"}]}`, customer, token, sku)
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Idempotency-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Body)
	return w.Code, string(b)
}

// TestOrdersChargedExactlyOnce: 20 orders, each sent 10 times at once (wait
// mode): orderapp charges and places exactly 20, and every copy of an order
// gets the same receipt.
func TestOrdersChargedExactlyOnce(t *testing.T) {
	t.Parallel()
	h, app := newOrderStack(t, middleware.InProgressWait)
	placeEachOrderAtOnce(t, []http.Handler{h}, app, 20, 10)
}

// placeEachOrderAtOnce places orders orders, each sent copies times at once
// spread over the replicas, and checks that every copy of an order got the
// same 201 receipt and that orderapp charged and placed each order once.
func placeEachOrderAtOnce(t *testing.T, replicas []http.Handler, app *orderapp.App, orders, copies int) {
	t.Helper()
	type answer struct {
		order, status int
		body          string
	}
	answers := make(chan answer, orders*copies)
	var wg sync.WaitGroup
	for o := range orders {
		for c := range copies {
			wg.Go(func() {
				status, body := placeOrder(replicas[(o+c)%len(replicas)], fmt.Sprintf("order-%d", o), "c-1", "tok_ok", "A")
				answers <- answer{o, status, body}
			})
		}
	}
	wg.Wait()
	close(answers)
	receipts := map[int]string{}
	for a := range answers {
		if a.status != http.StatusCreated {
			t.Fatalf("order %d got %d %s, want 201", a.order, a.status, a.body)
		}
		if first, ok := receipts[a.order]; ok && first != a.body {
			t.Fatalf("order %d got two receipts:\n%s\n%s", a.order, first, a.body)
		}
		receipts[a.order] = a.body
	}
	if c := app.Counts(); c.PaymentCharges != int64(orders) || c.OrdersPlaced != int64(orders) {
		t.Errorf("charges %d, orders placed %d; want %d each", c.PaymentCharges, c.OrdersPlaced, orders)
	}
}

// TestOrderOutcomesThroughTheLayer: the seed's error statuses take the
// default status policies: a decline (402) is failed, so its retry is refused and
// never charges; a validation error (400) is released, so a corrected retry
// with the same key places the order; out of stock (409) is failed.
func TestOrderOutcomesThroughTheLayer(t *testing.T) {
	t.Parallel()
	h, app := newOrderStack(t, middleware.InProgressReject)
	steps := []struct {
		key, customer, token, sku string
		want                      int
		wantBody                  string
	}{
		{"decline", "c-1", orderapp.DeclineToken, "A", http.StatusPaymentRequired, ""},
		{"decline", "c-1", orderapp.DeclineToken, "A", http.StatusConflict, "status 402"},
		{"invalid", "c-1", "tok_ok", "not a sku!", http.StatusBadRequest, ""},
		{"invalid", "c-1", "tok_ok", "A", http.StatusCreated, ""}, // released: the corrected request runs
		{"other-customer", "c-2", "tok_ok", "A", http.StatusCreated, ""},
		{"other-customer", "c-3", "tok_ok", "A", http.StatusCreated, ""}, // another scope: another order
	}
	for i, s := range steps {
		status, body := placeOrder(h, s.key, s.customer, s.token, s.sku)
		if status != s.want || !strings.Contains(body, s.wantBody) {
			t.Errorf("step %d (%s): got %d %s, want %d containing %q", i+1, s.key, status, body, s.want, s.wantBody)
		}
	}
	c := app.Counts()
	if c.PaymentCharges != 3 || c.OrdersPlaced != 3 {
		t.Errorf("charges %d, orders %d; want 3 and 3 (declines and invalid requests never charge)", c.PaymentCharges, c.OrdersPlaced)
	}
}
