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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-stock", "A=1", "-default-stock", "0"}, io.Discard,
			func(a net.Addr) { addrs <- a })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	}

	post := func(sku string) int {
		t.Helper()
		body := `{"customer_id":"c1","payment_token":"tok_visa","lines":[{"sku":"` + sku + `","quantity":1,"unit_price":"12.50"}]}`
		resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST /orders: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, step := range []struct {
		sku  string
		want int
	}{{"A", http.StatusCreated}, {"A", http.StatusConflict}, {"B", http.StatusConflict}} {
		if got := post(step.sku); got != step.want {
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

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}
