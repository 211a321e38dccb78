package middleware_test

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/orderapp"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestReplicasShareOneRedis: three middleware replicas, each with its own
// store client, in front of one orderapp, sharing one real Redis (and then
// a real 3-master Cluster). 30 orders, each sent 10 times at once across
// the replicas: orderapp charges exactly 30, and every copy of an order
// gets the same receipt.
func TestReplicasShareOneRedis(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{name: "standalone", client: func(t *testing.T) redis.UniversalClient { return redistest.Shared(t).Client(t) }},
		{name: "cluster", client: func(t *testing.T) redis.UniversalClient { return redistest.SharedCluster(t).Client(t) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app, err := orderapp.New(orderapp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			prefix := "mwtest:" + rand.Text() + ":"
			var replicas []http.Handler
			for range 3 {
				st, err := redisstore.New(tc.client(t), redisstore.Config{KeyPrefix: prefix})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				mw, err := middleware.New(st, middleware.Config{
					Logger: slog.New(slog.DiscardHandler),
					Routes: []middleware.Route{{Name: "orders", Path: "/orders", Policy: middleware.Policy{
						Key: middleware.KeyRequired, Scope: "json:/customer_id", InProgress: middleware.InProgressWait,
					}}},
				})
				if err != nil {
					t.Fatal(err)
				}
				replicas = append(replicas, mw.Handler(app.Handler()))
			}

			placeEachOrderAtOnce(t, replicas, app, 30, 10)
		})
	}
}
