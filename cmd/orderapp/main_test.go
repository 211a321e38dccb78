package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestStockFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  []string
		want    map[string]int64
		wantErr bool
	}{
		{name: "one", values: []string{"A=5"}, want: map[string]int64{"A": 5}},
		{name: "list", values: []string{"A=5,B=0, C=7"}, want: map[string]int64{"A": 5, "B": 0, "C": 7}},
		{name: "repeated flag", values: []string{"A=5", "B=1"}, want: map[string]int64{"A": 5, "B": 1}},
		{name: "empty items", values: []string{",A=1,"}, want: map[string]int64{"A": 1}},
		{name: "missing count", values: []string{"A"}, wantErr: true},
		{name: "missing sku", values: []string{"=3"}, wantErr: true},
		{name: "negative", values: []string{"A=-1"}, wantErr: true},
		{name: "not a number", values: []string{"A=lots"}, wantErr: true},
		{name: "listed twice", values: []string{"A=1", "A=2"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := stockFlag{}
			var err error
			for _, v := range tc.values {
				if err = got.Set(v); err != nil {
					break
				}
			}
			if tc.wantErr {
				if err == nil {
					t.Errorf("Set(%q) error = nil, want an error", tc.values)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("Set(%q) = %v, %v; want %v, nil", tc.values, got, err, tc.want)
			}
		})
	}
}

func TestRunRefusesBadCommandLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantUsage bool // else flag.ErrHelp
	}{
		{name: "help", args: []string{"-h"}},
		{name: "unknown flag", args: []string{"-port", "1"}, wantUsage: true},
		{name: "bad stock", args: []string{"-stock", "A"}, wantUsage: true},
		{name: "invalid sku", args: []string{"-stock", "A B=1"}, wantUsage: true},
		{name: "negative default stock", args: []string{"-default-stock", "-1"}, wantUsage: true},
		{name: "negative latency", args: []string{"-latency", "-1s"}, wantUsage: true},
		{name: "unknown publish mode", args: []string{"-publish", "sideways"}, wantUsage: true},
		{name: "negative drain timeout", args: []string{"-drain-timeout", "-1s"}, wantUsage: true},
		{name: "stray argument", args: []string{"serve"}, wantUsage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tc.args, io.Discard, nil)
			var usage usageError
			if tc.wantUsage != errors.As(err, &usage) || (!tc.wantUsage && !errors.Is(err, flag.ErrHelp)) {
				t.Errorf("run(%q) error = %v, want usage error %t", tc.args, err, tc.wantUsage)
			}
		})
	}
}

// TestRunServesAndShutsDown starts the binary's run on a free port, places
// orders over real HTTP, then cancels (as SIGTERM does) and expects a clean
// return.
func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	base, stop := startRun(t, "-stock", "A=1", "-default-stock", "0")
	for _, step := range []struct {
		sku  string
		want int
	}{{"A", http.StatusCreated}, {"A", http.StatusConflict}, {"B", http.StatusConflict}} {
		if got := post(t, base, step.sku); got != step.want {
			t.Errorf("POST %s = %d, want %d", step.sku, got, step.want)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "orderapp_payment_charges_total 1") {
		t.Errorf("/metrics lacks orderapp_payment_charges_total 1:\n%s", metrics)
	}

	if err := stop(); err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}

// TestRunPublishModes: with the outbox (the default) a failing publisher
// no longer fails the order, but the shutdown reports the event it could
// not deliver; -publish direct keeps the seed's 503.
func TestRunPublishModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantErr    string // in run's error after the shutdown; "" for nil
	}{
		{name: "outbox delivers before exiting", wantStatus: http.StatusCreated},
		{name: "outbox with a failing publisher", args: []string{"-fail-publish", "-drain-timeout", "50ms"},
			wantStatus: http.StatusCreated, wantErr: "undelivered events: 1"},
		{name: "direct with a failing publisher", args: []string{"-publish", "direct", "-fail-publish"},
			wantStatus: http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base, stop := startRun(t, tc.args...)
			if got := post(t, base, "A"); got != tc.wantStatus {
				t.Errorf("POST = %d, want %d", got, tc.wantStatus)
			}
			err := stop()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("run after cancel = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// startRun starts run with args on a free port and returns its base URL
// and a stop that cancels it (as SIGTERM does) and returns run's result.
func startRun(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), io.Discard, func(a net.Addr) { addrs <- a })
	}()
	select {
	case a := <-addrs:
		return "http://" + a.String(), func() error { cancel(); return <-done }
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
		return "", nil
	}
}

// post places an order for one unit of sku and returns the status.
func post(t *testing.T, base, sku string) int {
	t.Helper()
	body := `{"customer_id":"c1","payment_token":"tok_visa","lines":[{"sku":"` + sku + `","quantity":1,"unit_price":"12.50"}]}`
	resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST /orders: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
