package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// DeclineToken is the payment token Payment always declines; every other
// token is charged.
const DeclineToken = "tok_decline"

var _ app.PaymentGateway = (*Payment)(nil)

// Payment is a fake payment provider. It keeps every charge so that a
// refund can be checked against it: refunding an unknown charge, or one
// charge twice, is an error, as it would be at a real provider.
type Payment struct {
	mu       sync.Mutex
	next     int64
	refunded map[string]bool // charge ID → refunded

	charges atomic.Int64
	refunds atomic.Int64
}

// NewPayment returns a provider with no charges.
func NewPayment() *Payment {
	return &Payment{refunded: make(map[string]bool)}
}

// Charge declines DeclineToken and charges anything else.
func (p *Payment) Charge(_ context.Context, req app.ChargeRequest) (app.Charge, error) {
	if req.Token == DeclineToken {
		return app.Charge{}, &domain.PaymentDeclinedError{Reason: "card declined"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	id := fmt.Sprintf("ch_%d", p.next)
	p.refunded[id] = false
	p.charges.Add(1)
	return app.Charge{ID: id, Amount: req.Amount}, nil
}

// Refund gives back a charge made by this provider, once.
func (p *Payment) Refund(_ context.Context, c app.Charge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	done, ok := p.refunded[c.ID]
	switch {
	case !ok:
		return fmt.Errorf("memory: refund of unknown charge %q", c.ID)
	case done:
		return errors.New("memory: charge " + c.ID + " is already refunded")
	}
	p.refunded[c.ID] = true
	p.refunds.Add(1)
	return nil
}

// Charges returns how many charges went through, refunded or not.
func (p *Payment) Charges() int64 { return p.charges.Load() }

// Refunds returns how many charges were refunded.
func (p *Payment) Refunds() int64 { return p.refunds.Load() }
