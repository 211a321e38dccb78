// Package upstream builds idemproxy's hop to the upstream: the
// http.Transport, the httputil.ReverseProxy with its problem+json errors,
// the full-duplex wrapper and the http.Server with the configured timeouts.
//
// It exists so that the product (cmd/idemproxy, package main, which cannot
// be imported) and the benchmark's plain proxy (internal/bench) run the very
// same constructors: the plain proxy is the baseline of every benchmark
// ratio, and a hand-kept copy of these settings would drift from the
// product and flatter it.
package upstream
