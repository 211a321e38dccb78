package orderapp_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp"
)

// FuzzPlaceOrderBody checks that no request body makes POST /orders fail
// on the server's side: whatever the bytes, the answer is a 201 or one of
// the client-facing errors (400, 402, 409, 413), always with a JSON body,
// and never a 5xx or a panic.
func FuzzPlaceOrderBody(f *testing.F) {
	for _, s := range []string{
		orderBody("tok_visa", "A", 1),
		orderBody(orderapp.DeclineToken, "A", 1),
		orderBody("tok_visa", "A", 2_000_000),
		`{"customer_id":"c","payment_token":"t","lines":[{"sku":"A","quantity":1,"unit_price":"1.005"}]}`,
		`{"lines":[{"quantity":1e400}]}`, `{"lines":[null,{}]}`, `[]`, `{`, "", "\xff",
		`{"customer_id":"\u0000","payment_token":" ","lines":[]}`,
	} {
		f.Add(s)
	}
	a, err := orderapp.New(orderapp.Options{Logger: quiet, Stock: map[string]int64{"A": 1_000}})
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{201: true, 400: true, 402: true, 409: true, 413: true}
	f.Fuzz(func(t *testing.T, body string) {
		rec := serve(a.Handler(), http.MethodPost, "/orders", body)
		if !allowed[rec.Code] {
			t.Fatalf("POST %q = %d %s, want 201, 400, 402, 409 or 413", body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %q body %q is not JSON", body, rec.Body)
		}
	})
}
