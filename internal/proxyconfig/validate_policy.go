package proxyconfig

import (
	"strconv"
	"strings"
	"time"
)

// idempotency validates the middleware settings under their file names; the
// middleware validates them again, but names Go fields.
func (v *validator) idempotency() {
	id := v.c.Idempotency
	v.headerName("idempotency.header", id.Header, true)
	v.headerName("idempotency.fencing_header", id.FencingHeader, true)
	v.policy("idempotency.defaults", id.Defaults)
	if id.ReplayCache.MaxEntries < -1 {
		v.bad("idempotency.replay_cache.max_entries", "must be -1 (off), 0 (default) or positive, got %d", id.ReplayCache.MaxEntries)
	}
	v.nonNegativeInt("idempotency.replay_cache.max_bytes", int64(id.ReplayCache.MaxBytes))
	v.nonNegative("idempotency.replay_cache.max_age", id.ReplayCache.MaxAge)
	names := map[string]int{}
	for i, r := range id.Routes {
		p := indexPath("idempotency.routes", i)
		if r.Path != "" && r.PathPrefix != "" {
			v.bad(p+".path_prefix", "set path or path_prefix, not both")
		}
		for field, s := range map[string]string{"path": r.Path, "path_prefix": r.PathPrefix} {
			if s != "" && !strings.HasPrefix(s, "/") {
				v.bad(p+"."+field, "%q must start with /", s)
			}
		}
		for j, m := range r.Methods {
			if !isToken(m) {
				v.bad(indexPath(p+".methods", j), "%q is not an HTTP method", m)
			}
		}
		name := r.Name
		if name == "" {
			name = r.Path + r.PathPrefix
		}
		if j, dup := names[name]; dup {
			v.bad(p+".name", "%q is also the name of routes[%d]; metrics and admin lookups need unique names", name, j)
		}
		names[name] = i
		v.policy(p, r.Policy)
	}
	v.effectiveLeases()
}

// policy validates one policy's own fields (zero means inherited).
func (v *validator) policy(p string, pol Policy) {
	v.optionalOneOf(p+".key", pol.Key, "required", "optional")
	v.optionalOneOf(p+".anonymous", pol.Anonymous, "reject", "shared")
	v.optionalOneOf(p+".body", pol.Body, "raw", "json")
	v.optionalOneOf(p+".in_progress", pol.InProgress, "reject", "wait")
	v.optionalOneOf(p+".on_abandoned", pol.OnAbandoned, "reject", "retry")
	v.optionalOneOf(p+".fail_mode", pol.FailMode, "closed", "open")
	v.scope(p+".scope", pol.Scope)
	v.nonNegativeInt(p+".max_request_body", int64(pol.MaxRequestBody))
	v.nonNegativeInt(p+".max_response_body", int64(pol.MaxResponseBody))
	for _, d := range []struct {
		field string
		d     Duration
	}{{"ttl", pol.TTL}, {"lease", pol.Lease}, {"handler_timeout", pol.HandlerTimeout}, {"handler_grace", pol.HandlerGrace}, {"wait_timeout", pol.WaitTimeout}, {"store_timeout", pol.StoreTimeout}} {
		v.nonNegative(p+"."+d.field, d.d)
	}
	if pol.Lease > 0 && pol.Lease.Std() < 10*time.Millisecond {
		v.bad(p+".lease", "must be at least 10ms to be renewable, got %s", pol.Lease.Std())
	}
	for status, action := range pol.Statuses {
		sp := p + ".statuses." + status
		if !validStatusKey(status) {
			v.bad(sp, "%q is neither a status (100-599) nor a class (1xx-5xx)", status)
		}
		v.oneOf(sp, action, "replay", "fail", "release")
	}
	for i, h := range pol.FingerprintHeaders {
		v.headerName(indexPath(p+".fingerprint_headers", i), h, false)
	}
	for i, h := range pol.ReplayExcludeHeaders {
		v.headerName(indexPath(p+".replay_exclude_headers", i), h, false)
	}
}

// effectiveLeases checks what only the inherited values show: a record kept
// for less than its lease would vanish under a live owner.
func (v *validator) effectiveLeases() {
	const defaultLease, defaultTTL = 10 * time.Second, 24 * time.Hour
	d := v.c.Idempotency.Defaults
	lease, ttl := orDuration(d.Lease.Std(), defaultLease), orDuration(d.TTL.Std(), defaultTTL)
	if ttl < lease {
		v.bad("idempotency.defaults.ttl", "%s is shorter than the lease %s", ttl, lease)
	}
	for i, r := range v.c.Idempotency.Routes {
		rl, rt := orDuration(r.Lease.Std(), lease), orDuration(r.TTL.Std(), ttl)
		if rt < rl && (r.Lease != 0 || r.TTL != 0) {
			v.bad(indexPath("idempotency.routes", i)+".ttl", "%s is shorter than the lease %s", rt, rl)
		}
	}
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (v *validator) optionalOneOf(path, got string, allowed ...string) {
	if got != "" {
		v.oneOf(path, got, allowed...)
	}
}

func (v *validator) scope(path, s string) {
	switch {
	case s == "" || s == "none":
	case strings.HasPrefix(s, "header:"):
		v.headerName(path, strings.TrimPrefix(s, "header:"), false)
	case strings.HasPrefix(s, "json:"):
		if ptr := strings.TrimPrefix(s, "json:"); !strings.HasPrefix(ptr, "/") {
			v.bad(path, "%q: the JSON pointer must start with / (e.g. json:/customer_id)", s)
		}
	default:
		v.bad(path, "%q is not header:<Name>, json:<pointer> or none", s)
	}
}

func (v *validator) headerName(path, h string, optional bool) {
	if h == "" && optional {
		return
	}
	if !isToken(h) {
		v.bad(path, "%q is not a header name", h)
	}
}

// isToken reports whether s is an RFC 9110 token (header and method names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func validStatusKey(k string) bool {
	if len(k) != 3 || k[0] < '1' || k[0] > '5' {
		return false
	}
	if k[1:] == "xx" {
		return true
	}
	n, err := strconv.Atoi(k)
	return err == nil && n >= 100 && n <= 599
}

func itoa(i int) string { return strconv.Itoa(i) }
