package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultHeader is the request header that carries the key.
const DefaultHeader = "Idempotency-Key"

// ReplayedHeader is the response header a server sets on a replay.
const ReplayedHeader = "Idempotent-Replayed"

// Config holds the transport's optional settings. Its zero value is usable:
// every field's doc says its default.
type Config struct {
	// Base sends each attempt. Default: http.DefaultTransport.
	Base http.RoundTripper

	// Header is the request header carrying the key. Default: "Idempotency-Key".
	Header string

	// Methods are the covered methods: a request with one of them and no
	// key gets a fresh key before its first attempt. Default: POST and PATCH.
	Methods []string

	// NewKey makes the key of a covered request that has none.
	// Default: a random UUID (version 4).
	NewKey func() string

	// Policy decides after each attempt whether to retry. Default:
	// DefaultPolicy.
	Policy Policy

	// MaxAttempts bounds the attempts of one request, the first included;
	// 1 never retries. Default: 5.
	MaxAttempts int

	// MaxElapsed bounds the time from the first attempt to the start of the
	// last: a wait that would end past it is not started, and the last
	// response (or error) is returned instead. Negative: no bound but
	// MaxAttempts and the request's context. Default: 30s.
	MaxElapsed time.Duration

	// InitialBackoff and MaxBackoff shape the wait before a retry whose
	// response has no Retry-After: full jitter, a uniform random wait in
	// [0, min(MaxBackoff, InitialBackoff·2ⁿ⁻¹)) after the n-th attempt.
	// Defaults: 100ms and 5s.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration

	// MaxRetryAfter caps a server's Retry-After (seconds or an HTTP date):
	// a longer one is waited only this long. Default: 30s.
	MaxRetryAfter time.Duration

	// MaxBufferedBody bounds the request body buffered for retries when
	// the request has no GetBody. A larger body is streamed on the first
	// attempt and never retried (nothing could send it again). Negative:
	// never buffer, so only requests without a body or with GetBody are
	// retried. Default: 1 MiB (idemproxy's default max_request_body).
	MaxBufferedBody int64

	// OnRetry, when set, is called before each wait for a retry, on the
	// request's goroutine: for logs. Default: none.
	OnRetry func(Retry)

	// Registerer receives the transport's counters (namespace
	// idemproxy_client): attempts, retries by reason, requests by
	// outcome. Transports on one registry share the counters; tell them
	// apart with prometheus.WrapRegistererWith. Default: nil, no metrics
	// (never the global registry behind your back).
	Registerer prometheus.Registerer
}

// Defaults of the Config fields.
const (
	DefaultMaxAttempts     = 5
	DefaultMaxElapsed      = 30 * time.Second
	DefaultInitialBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff      = 5 * time.Second
	DefaultMaxRetryAfter   = 30 * time.Second
	DefaultMaxBufferedBody = 1 << 20
)

// withDefaults returns c with every zero field set to its default, or an
// error naming each field that has no meaning.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("MaxAttempts %d is negative", c.MaxAttempts))
	}
	for name, d := range map[string]time.Duration{
		"InitialBackoff": c.InitialBackoff, "MaxBackoff": c.MaxBackoff, "MaxRetryAfter": c.MaxRetryAfter,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	for _, m := range c.Methods {
		if m == "" || strings.ToUpper(m) != m {
			errs = append(errs, fmt.Errorf("method %q: want an upper-case method name", m))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("client: %w", err)
	}
	if c.Base == nil {
		c.Base = http.DefaultTransport
	}
	if c.Header == "" {
		c.Header = DefaultHeader
	}
	if len(c.Methods) == 0 {
		c.Methods = []string{http.MethodPost, http.MethodPatch}
	}
	if c.NewKey == nil {
		c.NewKey = NewKey
	}
	if c.Policy == nil {
		c.Policy = DefaultPolicy
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = DefaultMaxElapsed
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.MaxBufferedBody == 0 {
		c.MaxBufferedBody = DefaultMaxBufferedBody
	}
	return c, nil
}

// NewKey returns a fresh idempotency key: a random UUID. Use it to make a
// key that outlives one request (persist it with the job, then WithKey).
func NewKey() string { return uuid.NewString() }
