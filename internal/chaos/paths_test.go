package chaos

import (
	"net/http"
	"testing"
)

// lenientRoute covers POST /orders only, key required: the upstream behind
// it (a countingUpstream answers every path) routes leniently, as Express
// and most frameworks do.
const lenientRoute = `
    - name: orders
      path: /orders
      methods: [POST]
      key: required
      scope: none`

// TestPathVariantsAreCovered: spellings of /orders that a lenient upstream
// runs as /orders must not pass the proxy unprotected: without a key they
// are refused like /orders, and with /orders's key they replay its
// response instead of running again.
func TestPathVariantsAreCovered(t *testing.T) {
	t.Parallel()
	up := startCountingUpstream(t, nil)
	p := startProxy(t, proxyConfig{Upstream: up.url, Routes: lenientRoute})
	variants := []string{"/orders/", "/Orders", "/ORDERS/", "/./orders", "//orders", "/x/../orders", "/%6Frders", "/orders;jsessionid=1", "/orders%2F", "/orders%20", "/orders\\"}

	refused := map[int]int{}
	for _, v := range variants {
		r := send(t, http.MethodPost, p.url+v, "", "order")
		refused[r.status]++
		if r.status != http.StatusBadRequest || r.problem != problemBase+"missing-key" {
			t.Errorf("POST %s without a key: %v, want 400 missing-key", v, r)
		}
	}
	if n := up.total(); n != 0 {
		t.Errorf("the upstream ran %d keyless requests, want 0", n)
	}

	key := unique("path")
	first := send(t, http.MethodPost, p.url+"/orders", key, "order")
	replays := 0
	for _, v := range variants {
		r := send(t, http.MethodPost, p.url+v, key, "order")
		if r.replayed() && sameResponse(first, r) {
			replays++
		} else {
			t.Errorf("POST %s with /orders's key: %v %q, want the replay of %q", v, r, r.body, first.body)
		}
	}
	if n := up.ran(key); n != 1 {
		t.Errorf("the upstream ran the key %d times, want 1", n)
	}
	// A format suffix is covered too, but is another request: 422 with
	// /orders's key, never a second run.
	if r := send(t, http.MethodPost, p.url+"/orders.json", "", "order"); r.status != http.StatusBadRequest {
		t.Errorf("POST /orders.json without a key: %v, want 400 missing-key", r)
	}
	if r := send(t, http.MethodPost, p.url+"/orders.json", key, "order"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST /orders.json with /orders's key: %v, want 422", r)
	}
	observed(t, "%d spellings of /orders without a key: %v, upstream runs 0; with one key: first %v, then %d/%d replayed; /orders.json: 400 without a key, 422 with /orders's; upstream runs %d",
		len(variants), refused, first, replays, len(variants), up.ran(key))
}
