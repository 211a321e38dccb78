package httpport_test

import (
	"net/http"
	"strings"
	"testing"

	httpport "github.com/idemproxy/idemproxy/orderapp/ports/http"
)

// TestBadBodies checks that every malformed request is a 400 (413 for
// size) naming the field, and never reaches the use case.
func TestBadBodies(t *testing.T) {
	t.Parallel()
	line := `{"sku":"A","quantity":1,"unit_price":"1.00"}`
	tests := []struct {
		name        string
		body        string
		wantStatus  int
		wantMessage string // a prefix
	}{
		{name: "empty", body: "", wantStatus: 400, wantMessage: "request body: is empty"},
		{name: "malformed", body: `{"customer_id":`, wantStatus: 400, wantMessage: "request body: malformed JSON"},
		{name: "trailing data", body: `{} {}`, wantStatus: 400, wantMessage: "request body: malformed JSON"},
		{name: "array", body: `[]`, wantStatus: 400, wantMessage: "request body: must be a JSON object"},
		{name: "null", body: `null`, wantStatus: 400, wantMessage: "request body: must be a JSON object"},
		{name: "string", body: `"hi"`, wantStatus: 400, wantMessage: "request body: must be a JSON object"},
		{name: "unknown field", body: `{"customer_id":"c","coupon":"FREE"}`, wantStatus: 400, wantMessage: "coupon: unknown field"},
		{name: "field in the wrong case", body: `{"Customer_ID":"c"}`, wantStatus: 400, wantMessage: "Customer_ID: unknown field"},
		{name: "customer_id a number", body: `{"customer_id":42}`, wantStatus: 400, wantMessage: "customer_id: must be a string"},
		{name: "payment_token an object", body: `{"payment_token":{}}`, wantStatus: 400, wantMessage: "payment_token: must be a string"},
		{name: "lines an object", body: `{"lines":{}}`, wantStatus: 400, wantMessage: "lines: must be an array of line items"},
		{name: "line a number", body: `{"lines":[1]}`, wantStatus: 400, wantMessage: "lines[0]: must be a JSON object"},
		{name: "line null", body: `{"lines":[` + line + `,null]}`, wantStatus: 400, wantMessage: "lines[1]: must be a JSON object"},
		{name: "line unknown field", body: `{"lines":[{"sku":"A","colour":"red"}]}`, wantStatus: 400, wantMessage: "lines[0].colour: unknown field"},
		{name: "quantity a string", body: `{"lines":[` + line + `,{"quantity":"2"}]}`, wantStatus: 400, wantMessage: "lines[1].quantity: must be an integer from 1 to 1000000"},
		{name: "quantity a fraction", body: `{"lines":[{"quantity":1.5}]}`, wantStatus: 400, wantMessage: "lines[0].quantity: must be an integer"},
		{name: "quantity absurd", body: `{"lines":[{"quantity":1e30}]}`, wantStatus: 400, wantMessage: "lines[0].quantity: must be an integer"},
		{name: "quantity past int64", body: `{"lines":[{"quantity":9223372036854775808}]}`, wantStatus: 400, wantMessage: "lines[0].quantity: must be an integer"},
		{name: "unit_price a number", body: `{"lines":[{"unit_price":12.5}]}`, wantStatus: 400, wantMessage: `lines[0].unit_price: must be a decimal string such as "12.50"`},
		{name: "sku a bool", body: `{"lines":[{"sku":true}]}`, wantStatus: 400, wantMessage: "lines[0].sku: must be a string"},
		{name: "too large", body: `{"customer_id":"` + strings.Repeat("x", httpport.DefaultMaxBodyBytes) + `"}`,
			wantStatus: 413, wantMessage: "request body: must be at most 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &stub{}
			h, _ := router(s, httpport.Config{})
			rec := do(h, http.MethodPost, "/orders", tc.body)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			b := decodeError(t, rec)
			if !strings.HasPrefix(b.Message, tc.wantMessage) {
				t.Errorf("message = %q, want prefix %q", b.Message, tc.wantMessage)
			}
			if n := len(s.placed()); n != 0 {
				t.Errorf("use case ran %d times, want 0", n)
			}
		})
	}
}

func TestMaxBodyBytesIsConfigurable(t *testing.T) {
	t.Parallel()
	h, _ := router(&stub{}, httpport.Config{MaxBodyBytes: 10})
	rec := do(h, http.MethodPost, "/orders", validBody)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", rec.Code)
	}
}
