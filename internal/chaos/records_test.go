package chaos

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// keyer computes the Redis key of a record the way the proxy does, through
// the middleware's own StorageKey on the same route, so a test can look at
// what was stored without trusting the proxy's answers.
type keyer struct{ mw *middleware.Middleware }

func newKeyer(t *testing.T) keyer {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := middleware.New(st, middleware.Config{Routes: []middleware.Route{
		{Name: "orders", Path: "/orders", Methods: []string{"POST"}, Policy: middleware.Policy{Key: middleware.KeyRequired, Scope: "json:/customer_id"}},
		{Name: "any", PathPrefix: "/", Methods: []string{"POST", "PATCH"}, Policy: middleware.Policy{Key: middleware.KeyRequired, Scope: "none"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return keyer{mw}
}

// orderKey is the Redis key of customer's order under key.
func (k keyer) orderKey(t *testing.T, customer, key string) string {
	t.Helper()
	return k.redisKey(t, "orders", strconv.Quote(customer), key)
}

func (k keyer) redisKey(t *testing.T, route, scope, key string) string {
	t.Helper()
	sk, err := k.mw.StorageKey(route, scope, key)
	if err != nil {
		t.Fatal(err)
	}
	return "idem:{" + sk.Scope + ":" + sk.ID + "}"
}

// record is what Redis holds for one key: the fields of redisstore's hash
// (s state, c status, r stored response, ...), empty when there is none.
func record(t *testing.T, rc redis.Cmdable, redisKey string) map[string]string {
	t.Helper()
	m, err := rc.HGetAll(context.Background(), redisKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// State values of redisstore's records.
const (
	stateInProgress = "1"
	stateCompleted  = "2"
	stateFailed     = "3"
)
