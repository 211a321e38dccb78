package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the middleware's optional settings. Its zero value is usable:
// every field's doc says its default.
type Config struct {
	// Policy is the default policy of every route; a Route's own Policy
	// overrides it field by field.
	Policy

	// Routes lists the covered routes, first match wins. A request that
	// matches no route passes through untouched. Default: one route named
	// "default" covering every path.
	Routes []Route

	// HeaderName is the request header carrying the key.
	// Default: "Idempotency-Key".
	HeaderName string

	// FencingHeader is the request header that carries the claim's fencing
	// token (store.ClaimResult.Version) to the handler, for upstreams that
	// want to refuse a stale owner themselves. Default: "Idempotency-Fencing-Token".
	FencingHeader string

	// Registerer receives the middleware's metrics. Default: nil, metrics
	// are not registered (never the global registry behind your back).
	Registerer prometheus.Registerer

	// ReplayCache bounds the process-local cache of completed responses,
	// which serves replays without a store round trip. Default: on, see
	// ReplayCache's fields.
	ReplayCache ReplayCache

	// PendingReleases bounds the claims given up on (the store did not
	// answer in time) whose release is still being retried in the
	// background; past it a release is dropped and counted
	// (idemproxy_releases_dropped_total), and its claim is bounded by its
	// deadline alone. Default: 10000.
	PendingReleases int

	// Logger receives warnings (store errors, fail-open passes, lost
	// leases). Keys and bodies are never logged raw. Default: slog.Default().
	Logger *slog.Logger
}

// Route is one covered route.
type Route struct {
	// Name labels the route in metrics; routes never label metrics by raw
	// path, so cardinality stays bounded. Default: the route's Path or
	// PathPrefix.
	Name string
	// Path matches the whole request path; a segment written {name}
	// matches any one non-empty segment ("/orders/{id}/cancel").
	//
	// Paths are matched normalised, as lenient upstreams route them:
	// escapes of unreserved characters decoded ("/%6Frders" is
	// "/orders"), "." and ".." resolved, repeated and trailing slashes
	// dropped; and, should that not match, with every escape decoded and
	// ";params" dropped. Case does not count unless CaseSensitive is set.
	Path string
	// PathPrefix matches every path starting with it, normalised as Path
	// is; one ending in "/" matches that directory and what is under it
	// ("/api/" covers /api and /api/x, not /apix). With neither Path nor
	// PathPrefix the route matches every path.
	PathPrefix string
	// CaseSensitive matches Path and PathPrefix case-sensitively. Leave it
	// off unless the upstream, too, routes /Orders apart from /orders:
	// with it on, a client can send /Orders past the route to an upstream
	// that runs it. Default: false.
	CaseSensitive bool
	// Methods are the covered methods. Default: POST and PATCH.
	Methods []string
	// Policy overrides the Config's Policy field by field.
	Policy Policy
}

// Policy holds the settings a route may override. A zero field inherits the
// Config's value, and then the default.
type Policy struct {
	// Key is KeyRequired (a missing key → 400) or KeyOptional (a missing key
	// passes through, counted as bypassed). Default: KeyOptional.
	Key KeyRule
	// Scope is where a caller's identity comes from: "header:<Name>" (the
	// value is hashed, never stored raw; in Authorization and
	// Proxy-Authorization the auth-scheme's case and the spacing after it
	// do not count), "json:<RFC 6901 pointer>" (a body field, e.g.
	// "json:/customer_id"), or "none" (one scope for every caller). A
	// request that does not name its caller (no header, no value at the
	// pointer) gets 400 missing-scope, unless Anonymous says otherwise.
	// Default: "header:Authorization".
	Scope string
	// Anonymous is what a request without a scope value gets:
	// AnonymousReject (400 missing-scope) or AnonymousShared (every such
	// request shares one anonymous scope: any anonymous caller can replay
	// any other's response to the same key, so use it only where responses
	// carry nothing private, a public endpoint, say). Default:
	// AnonymousReject.
	Anonymous AnonymousMode
	// FingerprintHeaders are request headers that, with method, path,
	// query and body, make two requests "the same". Default: none.
	FingerprintHeaders []string
	// Body is BodyRaw (the bytes) or BodyJSON (canonical JSON: key order
	// and whitespace do not matter; a body that is not JSON is taken raw).
	// Default: BodyRaw.
	Body BodyMode
	// MaxRequestBody bounds the request body read for the fingerprint;
	// past it → 413. Default: 1 MiB.
	MaxRequestBody int64
	// MaxResponseBody bounds the captured response; a larger response is
	// still delivered whole, but recorded as not replayable. Default: 1 MiB.
	MaxResponseBody int64
	// TTL is how long a record is kept. Default: 24h.
	TTL time.Duration
	// Lease is how long a claim holds the key without renewal; it is
	// renewed every Lease/3 while the handler runs. Default: 10s.
	Lease time.Duration
	// HandlerTimeout bounds the handler once the key is claimed: the
	// handler no longer sees the client's cancellation, only this. It
	// bounds the response's delivery too: when it passes, the handler's
	// context ends and writes to a client still not reading the response
	// fail HandlerGrace later. Default: 30s.
	HandlerTimeout time.Duration
	// HandlerGrace is how long a handler past HandlerTimeout gets to
	// return: its response writes still go out for this long (a 504 to a
	// client that is reading), and its lease is still renewed, so that a
	// live owner's key never looks abandoned. A handler still running
	// HandlerTimeout + HandlerGrace after the claim (one that ignores its
	// context) is no longer renewed: its key is then abandoned when the
	// lease ends. Default: 5s.
	HandlerGrace time.Duration
	// InProgress is InProgressReject (409 + Retry-After) or InProgressWait
	// (block up to WaitTimeout for the owner, then replay its response).
	// Default: InProgressReject.
	InProgress InProgressMode
	// WaitTimeout bounds a wait in InProgressWait mode; past it → 409.
	// Default: 10s.
	WaitTimeout time.Duration
	// OnAbandoned is AbandonedReject (409: the owner died, the outcome is
	// unknown, use a new key) or AbandonedRetry (take the key over and run
	// the handler again). Default: AbandonedReject.
	OnAbandoned AbandonedMode
	// Statuses maps a status ("503") or a class ("5xx") to the action on
	// finish. A route's entries beat the Config's (even a route's class
	// beats a Config's exact status); within one map an exact status beats
	// its class; both beat the defaults:
	// 2xx and 3xx replay; 400, 401, 403, 404, 405, 413, 415, 422 and 429
	// release; every other 4xx and 5xx fail.
	Statuses map[string]Action
	// FailMode is FailClosed (store trouble → 503 + Retry-After, the
	// handler is not called) or FailOpen (pass through unprotected,
	// counted and logged). Default: FailClosed.
	FailMode FailMode
	// StoreTimeout bounds each store operation. Default: 2s.
	StoreTimeout time.Duration
	// ReplayExcludeHeaders are response headers that are neither stored nor
	// replayed, because they belong to one response only. Set it to an
	// empty, non-nil list to replay them all. Hop-by-hop headers and
	// Content-Length are never stored, whatever this says. Default:
	// Set-Cookie (a session must not be handed out twice) and Date.
	ReplayExcludeHeaders []string
}

// KeyRule says whether a route requires a key.
type KeyRule string

// BodyMode says how the body enters the fingerprint.
type BodyMode string

// InProgressMode says what a request does when its key is held by another.
type InProgressMode string

// AnonymousMode says what a request that names no caller gets.
type AnonymousMode string

// AbandonedMode says what a request does when its key's owner died.
type AbandonedMode string

// FailMode says what a request does when the store is unreachable.
type FailMode string

// Action is what finishing does with a response status.
type Action string

// The values of the policy enums.
const (
	KeyRequired KeyRule = "required"
	KeyOptional KeyRule = "optional"

	AnonymousReject AnonymousMode = "reject"
	AnonymousShared AnonymousMode = "shared"

	BodyRaw  BodyMode = "raw"
	BodyJSON BodyMode = "json"

	InProgressReject InProgressMode = "reject"
	InProgressWait   InProgressMode = "wait"

	AbandonedReject AbandonedMode = "reject"
	AbandonedRetry  AbandonedMode = "retry"

	FailClosed FailMode = "closed"
	FailOpen   FailMode = "open"

	// ActionReplay records the response as completed; retries replay it.
	ActionReplay Action = "replay"
	// ActionFail records the status as failed; retries get 409.
	ActionFail Action = "fail"
	// ActionRelease deletes the record; the same key may be retried.
	ActionRelease Action = "release"
)

// defaultPendingReleases is Config.PendingReleases' default.
const defaultPendingReleases = 10000

// defaultPolicy holds the documented defaults.
var defaultPolicy = Policy{
	Key:                  KeyOptional,
	Scope:                "header:Authorization",
	Anonymous:            AnonymousReject,
	Body:                 BodyRaw,
	MaxRequestBody:       1 << 20,
	MaxResponseBody:      1 << 20,
	TTL:                  24 * time.Hour,
	Lease:                10 * time.Second,
	HandlerTimeout:       30 * time.Second,
	HandlerGrace:         5 * time.Second,
	InProgress:           InProgressReject,
	WaitTimeout:          10 * time.Second,
	OnAbandoned:          AbandonedReject,
	FailMode:             FailClosed,
	StoreTimeout:         2 * time.Second,
	ReplayExcludeHeaders: []string{"Set-Cookie", "Date"},
}

// inherit returns p with every zero field taken from parent.
func (p Policy) inherit(parent Policy) Policy {
	pick(&p.Key, parent.Key)
	pick(&p.Scope, parent.Scope)
	pick(&p.Anonymous, parent.Anonymous)
	pick(&p.Body, parent.Body)
	pick(&p.MaxRequestBody, parent.MaxRequestBody)
	pick(&p.MaxResponseBody, parent.MaxResponseBody)
	pick(&p.TTL, parent.TTL)
	pick(&p.Lease, parent.Lease)
	pick(&p.HandlerTimeout, parent.HandlerTimeout)
	pick(&p.HandlerGrace, parent.HandlerGrace)
	pick(&p.InProgress, parent.InProgress)
	pick(&p.WaitTimeout, parent.WaitTimeout)
	pick(&p.OnAbandoned, parent.OnAbandoned)
	pick(&p.FailMode, parent.FailMode)
	pick(&p.StoreTimeout, parent.StoreTimeout)
	if p.FingerprintHeaders == nil {
		p.FingerprintHeaders = parent.FingerprintHeaders
	}
	if p.ReplayExcludeHeaders == nil {
		p.ReplayExcludeHeaders = parent.ReplayExcludeHeaders
	}
	// Statuses are not merged here: the status table layers the route's
	// entries over the Config's (see newStatusTable).
	return p
}

func pick[T comparable](field *T, parent T) {
	var zero T
	if *field == zero {
		*field = parent
	}
}

// fieldError is a config problem with the field it concerns.
type fieldError struct{ field, msg string }

// validate reports every problem of a fully inherited policy.
func (p Policy) validate() []fieldError {
	var errs []fieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError{field, fmt.Sprintf(format, args...)})
	}
	oneOf := func(field, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	oneOf("Key", string(p.Key), string(KeyRequired), string(KeyOptional))
	oneOf("Anonymous", string(p.Anonymous), string(AnonymousReject), string(AnonymousShared))
	oneOf("Body", string(p.Body), string(BodyRaw), string(BodyJSON))
	oneOf("InProgress", string(p.InProgress), string(InProgressReject), string(InProgressWait))
	oneOf("OnAbandoned", string(p.OnAbandoned), string(AbandonedReject), string(AbandonedRetry))
	oneOf("FailMode", string(p.FailMode), string(FailClosed), string(FailOpen))
	if _, err := parseScope(p.Scope); err != nil {
		bad("Scope", "%v", err)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"MaxRequestBody", p.MaxRequestBody}, {"MaxResponseBody", p.MaxResponseBody}} {
		if f.v < 0 {
			bad(f.name, "must be positive, got %d", f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"TTL", p.TTL}, {"Lease", p.Lease}, {"HandlerTimeout", p.HandlerTimeout}, {"HandlerGrace", p.HandlerGrace}, {"WaitTimeout", p.WaitTimeout}, {"StoreTimeout", p.StoreTimeout}} {
		if f.v < 0 {
			bad(f.name, "must be positive, got %s", f.v)
		}
	}
	if p.Lease > 0 && p.Lease < 10*time.Millisecond {
		bad("Lease", "must be at least 10ms to be renewable, got %s", p.Lease)
	}
	if p.TTL > 0 && p.TTL < p.Lease {
		bad("TTL", "%s is shorter than the lease %s", p.TTL, p.Lease)
	}
	if _, err := newStatusTable(p.Statuses); err != nil {
		bad("Statuses", "%v", err)
	}
	for _, h := range p.FingerprintHeaders {
		if !validHeaderName(h) {
			bad("FingerprintHeaders", "%q is not a header name", h)
		}
	}
	return errs
}

// configErrors turns field errors into errors naming each field under
// prefix, skipping those already reported (a route inherits the Config's
// problems; they are reported once, at the Config).
func configErrors(prefix string, fes []fieldError, reported map[fieldError]bool) []error {
	var errs []error
	for _, fe := range fes {
		if reported[fe] {
			continue
		}
		reported[fe] = true
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, fe.field, fe.msg))
	}
	return errs
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// errorsJoin joins config errors into one, nil when there are none.
func errorsJoin(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("middleware: invalid config: %w", errors.Join(errs...))
}

// canonicalMethods returns methods upper-cased, defaulting to POST, PATCH.
func canonicalMethods(methods []string) []string {
	if len(methods) == 0 {
		return []string{http.MethodPost, http.MethodPatch}
	}
	out := make([]string, len(methods))
	for i, m := range methods {
		out[i] = strings.ToUpper(m)
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
