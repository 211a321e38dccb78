package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/child"
)

// ctl is one orderctl run.
type ctl struct {
	code           int
	stdout, stderr string
}

// orderctl runs the built orderctl with args, bounded in time.
func orderctl(t *testing.T, args ...string) ctl {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, orderctlBin, args...)
	// A -race binary sleeps a second at exit unless told not to; orderctl
	// exits, unlike the servers, which are killed.
	cmd.Env = append(child.CleanEnv(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := ctl{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("orderctl %q: %v", args, err)
	}
	return r
}

// orderFile writes an order (with key as its idempotency_key unless empty)
// to a temporary file and returns its path.
func orderFile(t *testing.T, customer, token, key string) string {
	t.Helper()
	body := order(customer, token, 1)
	if key != "" {
		body = `{"idempotency_key":` + strings.TrimSpace(mustJSON(key)) + "," + body[1:]
	}
	path := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestOrderctlDeclinedPaymentIsRefusedNotRetried places an order whose
// payment is declined, twice with the same key (the file's): 402, then 409
// previously-failed; neither is retried (the proxy counts one execution
// and one rejection), and the exit status says "refused".
func TestOrderctlDeclinedPaymentIsRefusedNotRetried(t *testing.T) {
	t.Parallel()
	p, upstream := stack(t)
	path := startClientPath(t, p)
	file := orderFile(t, unique("cust"), "tok_decline", unique("declined"))

	first := orderctl(t, "place", "-f", file, "-url", path.url)
	if first.code != 3 || !strings.Contains(first.stderr, "refused: 402 PaymentDeclined") || first.stdout != "" {
		t.Errorf("first place = exit %d, stdout %q, stderr:\n%s\nwant exit 3 (refused), 402 PaymentDeclined", first.code, first.stdout, first.stderr)
	}
	second := orderctl(t, "place", "-f", file, "-url", path.url)
	if second.code != 3 || !strings.Contains(second.stderr, "refused: 409 Earlier request failed: The request with this idempotency key failed with status 402") ||
		!strings.Contains(second.stderr, "(previously-failed)") {
		t.Errorf("second place = exit %d, stderr:\n%s\nwant exit 3 (refused), 409 previously-failed naming 402", second.code, second.stderr)
	}
	if strings.Contains(first.stderr+second.stderr, "retrying") {
		t.Errorf("orderctl retried a refusal:\n%s%s", first.stderr, second.stderr)
	}
	if o := outcomes(t, p); o["executed"] != 1 || o["failed_rejected"] != 1 {
		t.Errorf("idemproxy_requests_total = %v, want executed 1, failed_rejected 1 (no retry)", o)
	}
	if keys := path.seen(); len(keys) != 2 || keys[0] != keys[1] {
		t.Errorf("keys on the wire %q, want the file's key, twice", keys)
	}
	if n := charges(t, upstream); n != 0 {
		t.Errorf("orderapp_payment_charges_total = %v, want 0 (declined)", n)
	}
}

// repeatLine is the command orderctl prints after making a fresh key.
var repeatLine = regexp.MustCompile(`to repeat it safely \(it is placed at most once\): (orderctl place .*)`)

// TestOrderctlAgainstTheDemo runs orderctl as the README's Quickstart does,
// against `idemproxy -config config.yaml -demo`: an order with its key in
// the file, placed, placed again (the replay), read back; an order without
// a key, then the command orderctl printed to repeat it.
func TestOrderctlAgainstTheDemo(t *testing.T) {
	t.Parallel()
	p := startProxy(t, nil, "-demo")
	file := orderFile(t, unique("cust"), "tok_visa", unique("demo"))

	placed := orderctl(t, "place", "-f", file, "-url", p.url)
	var receipt struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal([]byte(placed.stdout), &receipt); placed.code != 0 || err != nil || receipt.OrderID == "" ||
		!strings.Contains(placed.stderr, "placed: a new order") {
		t.Fatalf("place = exit %d, stdout %q (%v), stderr:\n%s\nwant exit 0, a receipt, a new order", placed.code, placed.stdout, err, placed.stderr)
	}
	again := orderctl(t, "place", "-f", file, "-url", p.url)
	if again.code != 0 || again.stdout != placed.stdout || !strings.Contains(again.stderr, "replayed: this order was already placed") {
		t.Errorf("place again = exit %d, stdout %q, stderr:\n%s\nwant exit 0, the same receipt %q, replayed", again.code, again.stdout, again.stderr, placed.stdout)
	}
	got := orderctl(t, "get", "-url", p.url, receipt.OrderID)
	if got.code != 0 || !strings.Contains(got.stdout, `"order_id":"`+receipt.OrderID+`"`) || !strings.Contains(got.stdout, `"lines":[`) {
		t.Errorf("get %s = exit %d, stdout %q, stderr:\n%s\nwant exit 0 and the order", receipt.OrderID, got.code, got.stdout, got.stderr)
	}
	if missing := orderctl(t, "get", "-url", p.url, "00000000-0000-4000-8000-000000000000"); missing.code != 3 || !strings.Contains(missing.stderr, "OrderNotFound") {
		t.Errorf("get of no order = exit %d, stderr:\n%s\nwant exit 3, OrderNotFound", missing.code, missing.stderr)
	}

	keyless := orderFile(t, unique("cust"), "tok_visa", "")
	fresh := orderctl(t, "place", "-f", keyless, "-url", p.url)
	m := repeatLine.FindStringSubmatch(fresh.stderr)
	if fresh.code != 0 || m == nil {
		t.Fatalf("place without a key = exit %d, stderr:\n%s\nwant exit 0 and the command that repeats it", fresh.code, fresh.stderr)
	}
	// The printed command, as a shell would split it (its words need no
	// quotes here: temporary paths, a UUID and a loopback URL).
	words := strings.Fields(m[1])
	repeated := orderctl(t, words[1:]...)
	if repeated.code != 0 || repeated.stdout != fresh.stdout || !strings.Contains(repeated.stderr, "replayed") {
		t.Errorf("%s = exit %d, stdout %q, stderr:\n%s\nwant exit 0, the first receipt %q, replayed", m[1], repeated.code, repeated.stdout, repeated.stderr, fresh.stdout)
	}
}
