package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Problem types, as the README documents them.
const (
	problemBase             = "https://github.com/idemproxy/idemproxy#problem-"
	problemInvalidKey       = problemBase + "invalid-key"
	problemTooLarge         = problemBase + "request-too-large"
	problemInProgress       = problemBase + "in-progress"
	problemAbandoned        = problemBase + "abandoned"
	problemFailed           = problemBase + "previously-failed"
	problemNotReplayable    = problemBase + "not-replayable"
	problemStoreUnavailable = problemBase + "store-unavailable"
	problemUnreachable      = problemBase + "upstream-unreachable"
	problemUpstreamTimeout  = problemBase + "upstream-timeout"
	problemUpstreamFailed   = problemBase + "upstream-failed"
)

// client bounds every request: a hung proxy fails the test, not the run.
var client = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true},
}

// response is what the tests look at.
type response struct {
	status  int
	header  http.Header
	body    string
	problem string // the problem+json type, if any
	took    time.Duration
}

func (r response) replayed() bool { return r.header.Get("Idempotent-Replayed") == "true" }

// String is the response as the matrix writes it: status and problem
// type, or status and whether it was a replay.
func (r response) String() string {
	switch {
	case r.problem != "":
		return fmt.Sprintf("%d %s", r.status, strings.TrimPrefix(r.problem, problemBase))
	case r.replayed():
		return fmt.Sprintf("%d replayed", r.status)
	}
	return fmt.Sprintf("%d", r.status)
}

// order is an orderapp order for customer, paid with token.
func order(customer, token string, qty int) string {
	return fmt.Sprintf(`{"customer_id":%q,"payment_token":%q,"lines":[{"sku":"SKU-1","quantity":%d,"unit_price":"12.50"}]}`, customer, token, qty)
}

// post sends POST base+path with body and, unless empty, key. It returns
// its error rather than failing, so other goroutines may call it.
func post(ctx context.Context, url, key, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return do(req)
}

// do sends req and reads the whole response.
func do(req *http.Request) (response, error) {
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b), took: time.Since(began)}
	if err != nil {
		return r, fmt.Errorf("reading the %d response: %w", resp.StatusCode, err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p struct{ Type string }
		if err := json.Unmarshal(b, &p); err != nil {
			return r, fmt.Errorf("problem body %q: %v", b, err)
		}
		r.problem = p.Type
	}
	return r, nil
}

// postOrder is post to p's /orders, failing the test on a transport error.
func postOrder(t *testing.T, p *idemproxy, key, body string) response {
	t.Helper()
	r, err := post(context.Background(), p.url+"/orders", key, body)
	if err != nil {
		t.Fatalf("POST /orders: %v", err)
	}
	return r
}

// sameResponse reports whether a replay carries the first response: the
// same status, body bytes and Location.
func sameResponse(first, replay response) bool {
	return first.status == replay.status && first.body == replay.body &&
		first.header.Get("Location") == replay.header.Get("Location")
}

// scrape reads a Prometheus text exposition into series → value, the
// series written as the exposition writes it: name{label="v",...}.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	m, err := scrapeErr(url)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scrapeErr(url string) (map[string]float64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s = %d", url, resp.StatusCode)
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
			return nil, fmt.Errorf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// outcomes returns the proxy's idemproxy_requests_total for route, by
// outcome.
func (p *idemproxy) outcomes(t *testing.T, route string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	prefix, suffix := `idemproxy_requests_total{outcome="`, `",route="`+route+`"}`
	for s, v := range scrape(t, p.admin+"/metrics") {
		if rest, ok := strings.CutPrefix(s, prefix); ok && strings.HasSuffix(rest, suffix) && v != 0 {
			out[strings.TrimSuffix(rest, suffix)] = v
		}
	}
	return out
}

// inFlight returns the proxy's idemproxy_in_flight_requests of route: the
// requests whose key is claimed and whose upstream call runs.
func (p *idemproxy) inFlight(t *testing.T, route string) float64 {
	t.Helper()
	return scrape(t, p.admin+"/metrics")[`idemproxy_in_flight_requests{route="`+route+`"}`]
}

// waitInFlight waits, bounded, until route has n requests at the upstream.
func (p *idemproxy) waitInFlight(t *testing.T, route string, n float64, timeout time.Duration) {
	t.Helper()
	within(t, timeout, fmt.Sprintf("%s in flight = %v", route, n), func() bool { return p.inFlight(t, route) == n })
}

// ready reports whether the proxy's /readyz answers 200 (the store answers).
func (p *idemproxy) ready() bool {
	resp, err := client.Get(p.admin + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// answers retries (key, body) on p until an answer other than 409 in
// progress and returns the distinct answers in order, the last one last.
func answers(t *testing.T, p *idemproxy, key, body string, timeout time.Duration) (seen []string, last response) {
	t.Helper()
	within(t, timeout, "a retry that is not 409 in progress", func() bool {
		last = postOrder(t, p, key, body)
		if len(seen) == 0 || seen[len(seen)-1] != last.String() {
			seen = append(seen, last.String())
		}
		return last.problem != problemInProgress
	})
	return seen, last
}
