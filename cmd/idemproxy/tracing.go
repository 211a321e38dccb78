package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Tracing is configured the OpenTelemetry way, by the standard OTEL_*
// variables, and is off unless they ask for it: then nothing is wrapped,
// and a request pays nothing. On, the proxy's listener and its upstream
// transport are wrapped by otelhttp, so a client's traceparent continues
// through the proxy to the upstream, and the middleware adds its
// attributes and store spans to the listener's span. Spans go to an
// OTLP/HTTP collector; the exporter, the batch processor and the sampler
// read their own variables (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*,
// OTEL_TRACES_SAMPLER[_ARG]).

// tracing is the proxy's tracing when it is on.
type tracing struct {
	tp   *sdktrace.TracerProvider
	prop propagation.TextMapPropagator
}

// tracingEnabled reports whether the OTEL_* variables turn tracing on: an
// OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp (the SDK's default
// endpoint, localhost:4318). OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off; another exporter is an error,
// since only OTLP/HTTP is built in.
func tracingEnabled(lookupEnv func(string) (string, bool)) (bool, error) {
	get := func(k string) string { v, _ := lookupEnv(k); return strings.TrimSpace(v) }
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exp := strings.ToLower(get("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return false, nil
	case "otlp":
	case "":
		if get("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return false, nil
		}
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: only otlp (or none) is supported", exp)
	}
	proto := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: only http/protobuf is supported", proto)
	}
	return true, nil
}

// startTracing starts the exporter when the environment asks for it; nil
// when tracing is off.
func startTracing(ctx context.Context, lookupEnv func(string) (string, bool)) (*tracing, error) {
	on, err := tracingEnabled(lookupEnv)
	if err != nil || !on {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	// The default name first: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override it.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "idemproxy")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return &tracing{
		tp:   sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// handler wraps the proxy's handler: a server span per request, continuing
// the client's trace.
func (t *tracing) handler(h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(h, "idemproxy", otelhttp.WithTracerProvider(t.tp), otelhttp.WithPropagators(t.prop))
}

// transport wraps the upstream transport: a client span per upstream call,
// and the traceparent the upstream continues.
func (t *tracing) transport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(t.tp), otelhttp.WithPropagators(t.prop))
}

// shutdown flushes the spans still queued.
func (t *tracing) shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}
