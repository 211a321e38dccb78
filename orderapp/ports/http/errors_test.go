package httpport_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	httpport "github.com/idemproxy/idemproxy/orderapp/ports/http"
)

const validBody = `{"customer_id":"c1","payment_token":"tok_visa","lines":[{"sku":"A","quantity":1,"unit_price":"1.00"}]}`

// TestErrorMapping sends each error of the use cases through POST /orders
// and checks the seed's status, type and message, and what is logged.
func TestErrorMapping(t *testing.T) {
	t.Parallel()
	sku, _ := domain.NewSku("A")
	id := domain.NewOrderID()
	secret := errors.New("db password is hunter2")
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantType    string
		wantMessage string // a substring
		wantLogged  bool
	}{
		{name: "validation", err: &domain.ValidationError{Field: "lines[0].quantity", Reason: "must be an integer from 1 to 1000000"},
			wantStatus: http.StatusBadRequest, wantType: "ValidationError", wantMessage: "lines[0].quantity: must be"},
		{name: "out of stock", err: fmt.Errorf("reserve stock: %w", &domain.OutOfStockError{Sku: sku, Requested: 2, Available: 1}),
			wantStatus: http.StatusConflict, wantType: "OutOfStock", wantMessage: "sku A is out of stock"},
		{name: "payment declined", err: fmt.Errorf("charge payment: %w", &domain.PaymentDeclinedError{Reason: "card declined"}),
			wantStatus: http.StatusPaymentRequired, wantType: "PaymentDeclined", wantMessage: "card declined"},
		{name: "persistence", err: &domain.PersistenceError{Op: "save", Err: secret},
			wantStatus: http.StatusInternalServerError, wantType: "PersistenceError", wantMessage: "failed to save the order", wantLogged: true},
		{name: "publish", err: &domain.PublishError{OrderID: id, Err: secret},
			wantStatus: http.StatusServiceUnavailable, wantType: "PublishError", wantMessage: id.String(), wantLogged: true},
		{name: "not found", err: &domain.OrderNotFoundError{ID: "x"},
			wantStatus: http.StatusNotFound, wantType: "OrderNotFound", wantMessage: `order "x" not found`},
		{name: "failed compensation keeps the cause's status and is logged",
			err:        errors.Join(&domain.PaymentDeclinedError{Reason: "card declined"}, &app.CompensationError{Step: "release stock", Err: secret}),
			wantStatus: http.StatusPaymentRequired, wantType: "PaymentDeclined", wantMessage: "card declined", wantLogged: true},
		{name: "anything else", err: secret,
			wantStatus: http.StatusInternalServerError, wantType: "InternalError", wantMessage: "internal error", wantLogged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, logs := router(&stub{err: tc.err}, httpport.Config{})
			rec := do(h, http.MethodPost, "/orders", validBody)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			b := decodeError(t, rec)
			if b.Type != tc.wantType || !strings.Contains(b.Message, tc.wantMessage) {
				t.Errorf("body = %+v, want type %q and a message containing %q", b, tc.wantType, tc.wantMessage)
			}
			if strings.Contains(b.Message, "hunter2") {
				t.Errorf("message %q leaks an internal error", b.Message)
			}
			if logged := strings.Contains(logs.String(), "request failed"); logged != tc.wantLogged {
				t.Errorf("logged = %t, want %t (log %q)", logged, tc.wantLogged, logs.String())
			}
		})
	}
}
