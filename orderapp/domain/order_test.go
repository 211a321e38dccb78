package domain_test

import (
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func mustSku(t *testing.T, s string) domain.Sku {
	t.Helper()
	sku, err := domain.NewSku(s)
	if err != nil {
		t.Fatalf("NewSku(%q): %v", s, err)
	}
	return sku
}

func mustMoney(t *testing.T, s string) domain.Money {
	t.Helper()
	m, err := domain.ParseMoney(s)
	if err != nil {
		t.Fatalf("ParseMoney(%q): %v", s, err)
	}
	return m
}

func TestNewLineItem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sku       domain.Sku
		quantity  int64
		price     string
		wantField string // empty: valid
		wantSub   string
	}{
		{name: "valid", sku: mustSku(t, "A"), quantity: 3, price: "2.50", wantSub: "7.50"},
		{name: "largest quantity", sku: mustSku(t, "A"), quantity: domain.MaxQuantity, price: "0.01", wantSub: "10000.00"},
		{name: "zero sku", quantity: 1, price: "1", wantField: "sku"},
		{name: "zero quantity", sku: mustSku(t, "A"), quantity: 0, price: "1", wantField: "quantity"},
		{name: "negative quantity", sku: mustSku(t, "A"), quantity: -1, price: "1", wantField: "quantity"},
		{name: "quantity too large", sku: mustSku(t, "A"), quantity: domain.MaxQuantity + 1, price: "1", wantField: "quantity"},
		{name: "free", sku: mustSku(t, "A"), quantity: 1, price: "0", wantField: "unit_price"},
		{name: "subtotal overflows", sku: mustSku(t, "A"), quantity: 2, price: "92233720368547758.07", wantField: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.NewLineItem(tc.sku, tc.quantity, mustMoney(t, tc.price))
			if tc.wantSub == "" {
				assertValidation(t, err, true, tc.wantField)
				return
			}
			if err != nil {
				t.Fatalf("NewLineItem error = %v, want nil", err)
			}
			if got.Subtotal().String() != tc.wantSub {
				t.Errorf("Subtotal() = %s, want %s", got.Subtotal(), tc.wantSub)
			}
		})
	}
}

func TestNewOrder(t *testing.T) {
	t.Parallel()
	line := func(price string, qty int64) domain.LineItem {
		l, err := domain.NewLineItem(mustSku(t, "A"), qty, mustMoney(t, price))
		if err != nil {
			t.Fatalf("NewLineItem: %v", err)
		}
		return l
	}
	cust, err := domain.NewCustomerID("c1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	huge := line("92233720368547758.07", 1)
	tooMany := make([]domain.LineItem, domain.MaxLines+1)
	for i := range tooMany {
		tooMany[i] = line("1", 1)
	}
	tests := []struct {
		name      string
		id        domain.OrderID
		customer  domain.CustomerID
		lines     []domain.LineItem
		wantField string
		wantTotal string // empty: an error is wanted
	}{
		{name: "valid", id: domain.NewOrderID(), customer: cust, lines: []domain.LineItem{line("0.10", 1), line("0.20", 1)}, wantTotal: "0.30"},
		{name: "most lines", id: domain.NewOrderID(), customer: cust, lines: tooMany[:domain.MaxLines], wantTotal: "100.00"},
		{name: "zero id", customer: cust, lines: []domain.LineItem{line("1", 1)}, wantField: "order_id"},
		{name: "zero customer", id: domain.NewOrderID(), lines: []domain.LineItem{line("1", 1)}, wantField: "customer_id"},
		{name: "no lines", id: domain.NewOrderID(), customer: cust, wantField: "lines"},
		{name: "too many lines", id: domain.NewOrderID(), customer: cust, lines: tooMany, wantField: "lines"},
		{name: "zero line", id: domain.NewOrderID(), customer: cust, lines: []domain.LineItem{{}}, wantField: "lines[0]"},
		{name: "total overflows", id: domain.NewOrderID(), customer: cust, lines: []domain.LineItem{huge, huge}, wantField: "lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.NewOrder(tc.id, tc.customer, tc.lines, now)
			if tc.wantTotal == "" {
				assertValidation(t, err, true, tc.wantField)
				return
			}
			if err != nil {
				t.Fatalf("NewOrder error = %v, want nil", err)
			}
			if got.Total().String() != tc.wantTotal {
				t.Errorf("Total() = %s, want %s", got.Total(), tc.wantTotal)
			}
			if got.ID() != tc.id || got.CustomerID() != tc.customer || !got.CreatedAt().Equal(now) {
				t.Errorf("order = %v %v %v, want %v %v %v", got.ID(), got.CustomerID(), got.CreatedAt(), tc.id, tc.customer, now)
			}
			if len(got.Lines()) != len(tc.lines) {
				t.Errorf("len(Lines()) = %d, want %d", len(got.Lines()), len(tc.lines))
			}
		})
	}
}

func TestOrderIsImmutable(t *testing.T) {
	t.Parallel()
	cust, _ := domain.NewCustomerID("c1")
	l, _ := domain.NewLineItem(mustSku(t, "A"), 1, mustMoney(t, "1"))
	lines := []domain.LineItem{l}
	o, err := domain.NewOrder(domain.NewOrderID(), cust, lines, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := domain.NewLineItem(mustSku(t, "B"), 9, mustMoney(t, "9"))
	lines[0] = other
	o.Lines()[0] = other
	if got := o.Lines()[0].Sku().String(); got != "A" {
		t.Errorf("Lines()[0].Sku() after mutating inputs and outputs = %q, want %q", got, "A")
	}
}

func TestOrderPlacedEventIDIsTheOrderID(t *testing.T) {
	t.Parallel()
	cust, _ := domain.NewCustomerID("c1")
	l, _ := domain.NewLineItem(mustSku(t, "A"), 1, mustMoney(t, "1"))
	o, err := domain.NewOrder(domain.NewOrderID(), cust, []domain.LineItem{l}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	first, again := domain.NewOrderPlaced(o), domain.NewOrderPlaced(o)
	if first.EventID() != o.ID().String() || again.EventID() != first.EventID() {
		t.Errorf("EventID() = %q, then %q; want the order ID %q both times", first.EventID(), again.EventID(), o.ID())
	}
}
