package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestTraceContinuesThroughTheProxy: with OTEL_EXPORTER_OTLP_ENDPOINT set,
// a request carrying a traceparent yields the proxy's server span in the
// client's trace, a store span under it, and the same trace at the
// upstream; the raw key and scope never reach the collector.
func TestTraceContinuesThroughTheProxy(t *testing.T) {
	t.Parallel()
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const key = `"trace-me-raw-key"`
	const scope = "c-trace-raw-scope" // the route's scope is json:/customer_id

	spans := make(chan []*tracepb.Span, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "want an OTLP/HTTP protobuf export on /v1/traces", http.StatusBadRequest)
			return
		}
		var got []*tracepb.Span
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				got = append(got, ss.Spans...)
			}
		}
		if strings.Contains(string(body), strings.Trim(key, `"`)) || strings.Contains(string(body), scope) {
			got = append(got, &tracepb.Span{Name: "RAW KEY OR SCOPE IN EXPORT"})
		}
		spans <- got
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	t.Cleanup(collector.Close)

	upstreamSaw := make(chan string, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamSaw <- r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(api.Close)

	p := startProxy(t, []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.URL,
		"OTEL_BSP_SCHEDULE_DELAY=50",
		"OTEL_SERVICE_NAME=idemproxy-e2e",
	}, "-upstream", api.URL)

	req, _ := http.NewRequest(http.MethodPost, p.url+"/orders", strings.NewReader(`{"customer_id":"`+scope+`","sku":"A"}`))
	req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Authorization", "Bearer trace-caller")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /orders: %d, want 201", resp.StatusCode)
	}
	if tp := <-upstreamSaw; !strings.HasPrefix(tp, "00-"+traceID+"-") {
		t.Errorf("the upstream got traceparent %q, want the client's trace %s", tp, traceID)
	}

	// The proxy's server span, and a claim span whose parent it is.
	var server, claim *tracepb.Span
	deadline := time.After(10 * time.Second)
	for server == nil || claim == nil {
		select {
		case got := <-spans:
			for _, s := range got {
				if s.Name == "RAW KEY OR SCOPE IN EXPORT" {
					t.Fatal("the raw Idempotency-Key or scope reached the collector")
				}
				if hex.EncodeToString(s.TraceId) != traceID {
					continue
				}
				switch {
				case s.Kind == tracepb.Span_SPAN_KIND_SERVER:
					server = s
				case s.Name == "idempotency.claim":
					claim = s
				}
			}
		case <-deadline:
			t.Fatalf("no server span and claim span of trace %s reached the collector within 10s (server %v, claim %v)", traceID, server != nil, claim != nil)
		}
	}
	if string(claim.ParentSpanId) != string(server.SpanId) {
		t.Errorf("the claim span's parent is %x, want the server span %x", claim.ParentSpanId, server.SpanId)
	}
	attrs := map[string]string{}
	for _, a := range server.Attributes {
		attrs[a.Key] = a.Value.String()
	}
	for _, k := range []string{"idempotency.outcome", "idempotency.route", "idempotency.key_hash"} {
		if attrs[k] == "" {
			t.Errorf("the server span has no %s (attributes %v)", k, attrs)
		}
	}
	if !strings.Contains(attrs["idempotency.outcome"], "executed") {
		t.Errorf("idempotency.outcome = %s, want executed", attrs["idempotency.outcome"])
	}
}
