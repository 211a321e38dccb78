package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/adapters/memory"
	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func TestPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	amount, _ := domain.ParseMoney("9.99")
	p := memory.NewPayment()

	_, err := p.Charge(ctx, app.ChargeRequest{Amount: amount, Token: memory.DeclineToken})
	if pd := (*domain.PaymentDeclinedError)(nil); !errors.As(err, &pd) {
		t.Fatalf("Charge(%s) error = %v, want a *PaymentDeclinedError", memory.DeclineToken, err)
	}
	if got := p.Charges(); got != 0 {
		t.Fatalf("Charges() after a decline = %d, want 0", got)
	}

	c, err := p.Charge(ctx, app.ChargeRequest{Amount: amount, Token: "tok_visa"})
	if err != nil {
		t.Fatalf("Charge error = %v, want nil", err)
	}
	if c.ID == "" || c.Amount != amount {
		t.Errorf("Charge = %+v, want an ID and amount %s", c, amount)
	}
	c2, err := p.Charge(ctx, app.ChargeRequest{Amount: amount, Token: "tok_visa"})
	if err != nil || c2.ID == c.ID {
		t.Errorf("second Charge = %+v, %v; want a new ID", c2, err)
	}

	if err := p.Refund(ctx, c); err != nil {
		t.Fatalf("Refund error = %v, want nil", err)
	}
	if err := p.Refund(ctx, c); err == nil {
		t.Error("second Refund of one charge: error = nil, want an error")
	}
	if err := p.Refund(ctx, app.Charge{ID: "ch_unknown"}); err == nil {
		t.Error("Refund of an unknown charge: error = nil, want an error")
	}
	if got, want := [2]int64{p.Charges(), p.Refunds()}, [2]int64{2, 1}; got != want {
		t.Errorf("Charges(), Refunds() = %v, want %v", got, want)
	}
}
