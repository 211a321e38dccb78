package proxyconfig

import (
	"testing"
	"time"
)

// TestLargestOfRoutes: the store is told the largest response any route
// keeps, and shutdown the longest handler time (timeout + grace), defaults
// included.
func TestLargestOfRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		defaults  Policy
		routes    []Policy
		wantBody  ByteSize
		wantTimer Duration
	}{
		{name: "nothing set", wantBody: 1 << 20, wantTimer: Duration(35 * time.Second)},
		{name: "defaults set", defaults: Policy{MaxResponseBody: 2 << 20, HandlerTimeout: Duration(time.Minute), HandlerGrace: Duration(time.Second)}, wantBody: 2 << 20, wantTimer: Duration(61 * time.Second)},
		{name: "a route larger", routes: []Policy{{}, {MaxResponseBody: 8 << 20, HandlerTimeout: Duration(2 * time.Minute)}, {HandlerGrace: Duration(time.Minute)}}, wantBody: 8 << 20, wantTimer: Duration(3 * time.Minute)},
		{name: "a route smaller", routes: []Policy{{MaxResponseBody: 1 << 10, HandlerTimeout: Duration(time.Second)}}, wantBody: 1 << 20, wantTimer: Duration(35 * time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Idempotency: Idempotency{Defaults: tc.defaults}}
			for _, p := range tc.routes {
				c.Idempotency.Routes = append(c.Idempotency.Routes, Route{Policy: p})
			}
			if got := c.MaxResponseBody(); got != tc.wantBody {
				t.Errorf("MaxResponseBody() = %d, want %d", got, tc.wantBody)
			}
			if got := c.MaxHandlerTime(); got != tc.wantTimer {
				t.Errorf("MaxHandlerTime() = %v, want %v", got, tc.wantTimer)
			}
		})
	}
}
