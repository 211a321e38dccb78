package proxyconfig

import (
	"cmp"

	"github.com/idemproxy/idemproxy/middleware"
)

// Middleware returns the middleware.Config the file describes. Registerer
// and Logger are the caller's to set.
func (c *Config) Middleware() middleware.Config {
	id := c.Idempotency
	mc := middleware.Config{
		Policy:        id.Defaults.middleware(),
		HeaderName:    id.Header,
		FencingHeader: id.FencingHeader,
		ReplayCache: middleware.ReplayCache{
			MaxEntries: id.ReplayCache.MaxEntries,
			MaxBytes:   int64(id.ReplayCache.MaxBytes),
			MaxAge:     id.ReplayCache.MaxAge.Std(),
		},
	}
	for _, r := range id.Routes {
		mc.Routes = append(mc.Routes, middleware.Route{
			Name:          r.Name,
			Path:          r.Path,
			PathPrefix:    r.PathPrefix,
			CaseSensitive: r.CaseSensitive,
			Methods:       r.Methods,
			Policy:        r.Policy.middleware(),
		})
	}
	return mc
}

func (p Policy) middleware() middleware.Policy {
	mp := middleware.Policy{
		Key:                  middleware.KeyRule(p.Key),
		Scope:                p.Scope,
		Anonymous:            middleware.AnonymousMode(p.Anonymous),
		FingerprintHeaders:   nilIfEmpty(p.FingerprintHeaders),
		Body:                 middleware.BodyMode(p.Body),
		MaxRequestBody:       int64(p.MaxRequestBody),
		MaxResponseBody:      int64(p.MaxResponseBody),
		TTL:                  p.TTL.Std(),
		Lease:                p.Lease.Std(),
		HandlerTimeout:       p.HandlerTimeout.Std(),
		HandlerGrace:         p.HandlerGrace.Std(),
		InProgress:           middleware.InProgressMode(p.InProgress),
		WaitTimeout:          p.WaitTimeout.Std(),
		OnAbandoned:          middleware.AbandonedMode(p.OnAbandoned),
		FailMode:             middleware.FailMode(p.FailMode),
		StoreTimeout:         p.StoreTimeout.Std(),
		ReplayExcludeHeaders: nilIfEmpty(p.ReplayExcludeHeaders),
	}
	if len(p.Statuses) > 0 {
		mp.Statuses = make(map[string]middleware.Action, len(p.Statuses))
		for k, v := range p.Statuses {
			mp.Statuses[k] = middleware.Action(v)
		}
	}
	return mp
}

// MaxResponseBody returns the largest max_response_body of any route, so
// the Redis store can be told how large a stored response may be.
func (c *Config) MaxResponseBody() ByteSize {
	return largestOfRoutes(c, 1<<20, func(p Policy) ByteSize { return p.MaxResponseBody })
}

// MaxHandlerTime returns the longest a covered request may take once
// claimed: the largest handler_timeout plus the largest handler_grace of
// any route (an upper bound), so the graceful shutdown and the write
// timeout can say whether they wait long enough.
func (c *Config) MaxHandlerTime() Duration {
	timeout := largestOfRoutes(c, Duration(30e9), func(p Policy) Duration { return p.HandlerTimeout })
	grace := largestOfRoutes(c, Duration(5e9), func(p Policy) Duration { return p.HandlerGrace })
	return timeout + grace
}

// largestOfRoutes returns the largest value of a policy field over the
// defaults (def when they leave it unset) and every route that sets it.
func largestOfRoutes[T cmp.Ordered](c *Config, def T, field func(Policy) T) T {
	largest := field(c.Idempotency.Defaults)
	var zero T
	if largest == zero {
		largest = def
	}
	for _, r := range c.Idempotency.Routes {
		largest = max(largest, field(r.Policy))
	}
	return largest
}

// nilIfEmpty maps an empty list to nil: the middleware reads a non-nil list
// as an override, and "replay_exclude_headers: []" in the sample means "the
// defaults", not "replay Set-Cookie".
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
