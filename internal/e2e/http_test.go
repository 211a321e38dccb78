package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// client bounds every request: a hung proxy fails the test, not the run.
var client = &http.Client{Timeout: 20 * time.Second}

// response is what the tests look at.
type response struct {
	status  int
	header  http.Header
	body    string
	problem string // the problem+json type, if any
}

// order is an orderapp order for customer, paid with token.
func order(customer, token string, qty int) string {
	return fmt.Sprintf(`{"customer_id":%q,"payment_token":%q,"lines":[{"sku":"SKU-1","quantity":%d,"unit_price":"12.50"}]}`, customer, token, qty)
}

// postOrder sends POST /orders with body and, unless empty, key.
func postOrder(t *testing.T, base, key, body string) response {
	t.Helper()
	r, err := post(base, key, body)
	if err != nil {
		t.Fatalf("POST /orders: %v", err)
	}
	return r
}

// post is postOrder for other goroutines: it returns its error.
func post(base, key, body string) (response, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/orders", strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p struct{ Type string }
		if err := json.Unmarshal(b, &p); err != nil {
			return r, fmt.Errorf("problem body %q: %v", b, err)
		}
		r.problem = p.Type
	}
	return r, nil
}

// scrape reads a Prometheus text exposition into series → value, the series
// written as the exposition writes it: name{label="v",...} (labels sorted).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// series writes name{labels} as the exposition does.
func series(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// outcomes returns the proxy's idemproxy_requests_total for route "orders",
// by outcome.
func outcomes(t *testing.T, p *proxy) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	prefix := `idemproxy_requests_total{outcome="`
	for s, v := range scrape(t, p.admin+"/metrics") {
		if rest, ok := strings.CutPrefix(s, prefix); ok && strings.HasSuffix(rest, `",route="orders"}`) {
			out[strings.TrimSuffix(rest, `",route="orders"}`)] = v
		}
	}
	return out
}

// charges returns orderapp's orderapp_payment_charges_total.
func charges(t *testing.T, orderapp string) float64 {
	t.Helper()
	return scrape(t, orderapp+"/metrics")["orderapp_payment_charges_total"]
}

// waitOutboxDrained polls orderapp's /metrics until its outbox has no
// pending entry, or fails the test after a bounded wait, and returns the
// metrics read then.
func waitOutboxDrained(t *testing.T, orderapp string) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tick := time.NewTicker(10 * time.Millisecond); ; <-tick.C {
		m := scrape(t, orderapp+"/metrics")
		if v, ok := m["orderapp_outbox_pending"]; ok && v == 0 {
			tick.Stop()
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("orderapp_outbox_pending = %v, never 0", m["orderapp_outbox_pending"])
		}
	}
}

// waitInFlight polls the proxy's in-flight gauge until the orders route has
// n requests at the upstream, or fails the test after a bounded wait.
func waitInFlight(t *testing.T, p *proxy, n float64) {
	t.Helper()
	key := series("idemproxy_in_flight_requests", map[string]string{"route": "orders"})
	deadline := time.Now().Add(10 * time.Second)
	for tick := time.NewTicker(10 * time.Millisecond); ; <-tick.C {
		if scrape(t, p.admin+"/metrics")[key] == n {
			tick.Stop()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v", key, n)
		}
	}
}
