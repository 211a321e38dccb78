package httpport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
	httpport "github.com/idemproxy/idemproxy/orderapp/ports/http"
)

// stub stands in for both use cases: it answers what it was given and
// remembers what it was asked.
type stub struct {
	receipt app.Receipt
	order   domain.Order
	err     error

	mu    sync.Mutex
	cmds  []app.PlaceOrderCommand
	gets  []string
	calls int
}

func (s *stub) Place(_ context.Context, cmd app.PlaceOrderCommand) (app.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds = append(s.cmds, cmd)
	s.calls++
	return s.receipt, s.err
}

func (s *stub) Get(_ context.Context, id string) (domain.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets = append(s.gets, id)
	s.calls++
	return s.order, s.err
}

func (s *stub) placed() []app.PlaceOrderCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]app.PlaceOrderCommand(nil), s.cmds...)
}

// syncBuffer is a log sink the handler may write from its goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// router returns the port over s, logging into the returned buffer.
func router(s *stub, cfg httpport.Config) (http.Handler, *syncBuffer) {
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	return httpport.NewRouter(s, s, cfg), logs
}

// do serves one request and returns the recorded response.
func do(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	return b
}

func testOrder(t *testing.T) domain.Order {
	t.Helper()
	cust, _ := domain.NewCustomerID("c1")
	sku, _ := domain.NewSku("A")
	price, _ := domain.ParseMoney("12.50")
	line, err := domain.NewLineItem(sku, 2, price)
	if err != nil {
		t.Fatal(err)
	}
	o, err := domain.NewOrder(domain.NewOrderID(), cust, []domain.LineItem{line}, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return o
}
