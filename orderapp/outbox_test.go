package orderapp_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/orderapp"
	"github.com/idemproxy/idemproxy/orderapp/relay"
)

// TestPublishModes: each mode publishes a placed order's event once; only
// the outbox goes through the relay.
func TestPublishModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode orderapp.PublishMode
		want orderapp.Counts
	}{
		{name: "outbox", mode: orderapp.PublishOutbox,
			want: orderapp.Counts{OrdersPlaced: 1, PaymentCharges: 1, InventoryReservations: 1, EventsPublished: 1, OutboxDelivered: 1}},
		{name: "direct", mode: orderapp.PublishDirect,
			want: orderapp.Counts{OrdersPlaced: 1, PaymentCharges: 1, InventoryReservations: 1, EventsPublished: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, orderapp.Options{Publish: tc.mode})
			if rec := serve(a.Handler(), http.MethodPost, "/orders", orderBody("tok_visa", "A", 1)); rec.Code != http.StatusCreated {
				t.Fatalf("POST = %d %s, want 201", rec.Code, rec.Body)
			}
			drain(t, a)
			assertCounts(t, a, tc.want)
		})
	}
}

// TestFailPublishWithTheOutbox: a publisher that is down no longer fails
// the order: POST is a 201 and the order is readable, its event waits in
// the outbox while the relay retries with backoff, and Shutdown gives up
// at its deadline saying the event was not delivered. Time is synctest's.
func TestFailPublishWithTheOutbox(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a := newApp(t, orderapp.Options{FailPublish: true})
		rec := serve(a.Handler(), http.MethodPost, "/orders", orderBody("tok_visa", "A", 1))
		id := regexp.MustCompile(`"order_id":"([^"]+)"`).FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusCreated || id == nil {
			t.Fatalf("POST = %d %s, want 201 with a receipt", rec.Code, rec.Body)
		}
		if got := serve(a.Handler(), http.MethodGet, "/orders/"+id[1], ""); got.Code != http.StatusOK {
			t.Errorf("GET /orders/%s = %d, want 200", id[1], got.Code)
		}
		// On the bubble's clock: attempts at 0, then after 10, 20, 40 and
		// 80 ms (150 ms in all), the next due at 310 ms.
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		want := orderapp.Counts{OrdersPlaced: 1, PaymentCharges: 1, InventoryReservations: 1, OutboxPending: 1, OutboxFailures: 5}
		assertCounts(t, a, want)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := a.Shutdown(ctx)
		if !errors.Is(err, relay.ErrNotDrained) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown error = %v, want ErrNotDrained at the deadline", err)
		}
		if got := a.Counts(); got.OutboxPending != 1 || got.EventsPublished != 0 || got.OutboxFailures <= want.OutboxFailures {
			t.Errorf("Counts after Shutdown = %+v, want the event still pending, more failures, none published", got)
		}
	})
}
