package orderapp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/orderapp"
)

// TestLatency runs in a synctest bubble, whose clock only moves when every
// goroutine waits, so durations are exact and the test does not sleep.
func TestLatency(t *testing.T) {
	t.Parallel()
	const latency = 2 * time.Second
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantTook   time.Duration
	}{
		{name: "a valid order waits", body: orderBody("tok_visa", "A", 1), wantStatus: http.StatusCreated, wantTook: latency},
		{name: "an invalid one is refused at once", body: orderBody("tok_visa", "A", 0), wantStatus: http.StatusBadRequest, wantTook: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				a := newApp(t, orderapp.Options{Latency: latency})
				start := time.Now()
				rec := serve(a.Handler(), http.MethodPost, "/orders", tc.body)
				if took := time.Since(start); rec.Code != tc.wantStatus || took != tc.wantTook {
					t.Errorf("POST = %d after %v, want %d after %v", rec.Code, took, tc.wantStatus, tc.wantTook)
				}
			})
		})
	}
}

// TestLatencyCancelled checks that a client gone during the delay leaves
// nothing reserved or charged.
func TestLatencyCancelled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a := newApp(t, orderapp.Options{Latency: time.Minute, Stock: map[string]int64{"A": 1}})
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/orders", strings.NewReader(orderBody("tok_visa", "A", 1)))
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.Handler().ServeHTTP(httptest.NewRecorder(), req)
		}()
		synctest.Wait() // the handler now waits out the latency
		cancel()
		<-done
		assertCounts(t, a, orderapp.Counts{})
		if s := a.Stock("A"); s != 1 {
			t.Errorf("Stock(A) = %d, want 1", s)
		}
	})
}
