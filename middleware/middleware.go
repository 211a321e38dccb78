package middleware

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/idemproxy/idemproxy/store"
)

// Middleware makes covered requests idempotent. Build one with New; its
// Handler method is the func(http.Handler) http.Handler to install.
type Middleware struct {
	store    store.Store
	header   string // canonical key header name
	fencing  string // canonical fencing header name
	routes   []*route
	metrics  *metrics
	log      *slog.Logger
	bufs     sync.Pool // *[]byte, reused for response captures
	releases *releaser // of the claims given up on
	owners   *owners
	cache    *replayCache // nil when disabled
	// warnNoDeadline logs once that writes cannot be given a deadline.
	warnNoDeadline sync.Once
}

// New returns a middleware over s. It validates cfg and reports every
// problem at once, each naming its field.
func New(s store.Store, cfg Config) (*Middleware, error) {
	if s == nil {
		return nil, errors.New("middleware: nil store")
	}
	m := &Middleware{
		store:   s,
		header:  http.CanonicalHeaderKey(orDefault(cfg.HeaderName, "Idempotency-Key")),
		fencing: http.CanonicalHeaderKey(orDefault(cfg.FencingHeader, "Idempotency-Fencing-Token")),
		log:     cfg.Logger,
		owners:  newOwners(),
		cache:   newReplayCache(cfg.ReplayCache),
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.releases = newReleaser(m, cmp.Or(max(cfg.PendingReleases, 0), defaultPendingReleases))
	var errs []error
	for _, h := range []struct{ field, v string }{{"HeaderName", m.header}, {"FencingHeader", m.fencing}} {
		if !validHeaderName(h.v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a header name", h.field, h.v))
		}
	}
	if cfg.PendingReleases < 0 {
		errs = append(errs, fmt.Errorf("PendingReleases: must be positive, got %d", cfg.PendingReleases))
	}
	base := cfg.Policy.inherit(defaultPolicy)
	reported := map[fieldError]bool{}
	errs = append(errs, configErrors("", base.validate(), reported)...)
	routes := cfg.Routes
	if len(routes) == 0 {
		routes = []Route{{Name: "default"}}
	}
	names := map[string]int{}
	for i, r := range routes {
		rt, rerrs := newRoute(r, cfg.Policy, base, i, reported)
		errs = append(errs, rerrs...)
		if rt == nil {
			continue
		}
		if j, dup := names[rt.name]; dup {
			errs = append(errs, fmt.Errorf("Routes[%d].Name: %q is also the name of Routes[%d]; metrics and operators tell routes apart by name", i, rt.name, j))
		}
		names[rt.name] = i
		m.routes = append(m.routes, rt)
	}
	if err := errorsJoin(errs); err != nil {
		return nil, err
	}
	var err error
	if m.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	for _, rt := range m.routes {
		rt.metrics = m.metrics.forRoute(rt.name)
	}
	return m, nil
}

// Handler wraps next. Requests no route covers reach next untouched, but
// for the fencing header, which is removed from every request: only the
// middleware may set it, or a client could poison an upstream's "highest
// fencing token seen".
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header[m.fencing]; ok {
			r.Header.Del(m.fencing)
		}
		path := requestPath(r)
		for _, rt := range m.routes {
			if rt.matches(r.Method, path) {
				m.serve(&call{rt: rt, next: next, w: w, r: r, start: time.Now(), path: rt.fingerprintPath(path), span: trace.SpanFromContext(r.Context())})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// call is one covered request on its way through the lifecycle.
type call struct {
	rt    *route
	next  http.Handler
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	path  string // normalised, as fingerprinted
	body  []byte
	claim store.ClaimRequest
	span  trace.Span // the request's, as an outer layer started it; a no-op without one
}

// done counts the request's outcome and puts it on the request's span.
func (c *call) done(o Outcome) {
	c.rt.metrics.observe(o, c.start, c.span.SpanContext())
	c.traceOutcome(o)
}

// serve runs the lifecycle of one covered request: key, body, scope,
// fingerprint, then claim.
func (m *Middleware) serve(c *call) {
	rt, r := c.rt, c.r
	lines := r.Header[m.header]
	if len(lines) == 0 {
		if rt.policy.Key == KeyRequired {
			m.reject(c, OutcomeMissingKey, Problem{
				Type: ProblemMissingKey, Status: http.StatusBadRequest, Title: "Idempotency key required",
				Detail: "This request must carry the " + m.header + " header.",
			})
			return
		}
		c.next.ServeHTTP(c.w, r)
		c.done(OutcomeBypassed)
		return
	}
	key, err := parseKey(lines)
	if err != nil {
		m.reject(c, OutcomeInvalidKey, Problem{
			Type: ProblemInvalidKey, Status: http.StatusBadRequest, Title: "Invalid idempotency key",
			Detail: "The " + m.header + " header is invalid: " + err.Error() + ". Send 1-255 visible ASCII characters, bare or as a quoted string, on one field line.",
		})
		return
	}

	// The body is not pooled: the handler (a reverse proxy's transport) may
	// still read it after it returned.
	if c.body, err = readBody(r, rt.policy.MaxRequestBody); err != nil {
		m.rejectBody(c, err)
		return
	}
	var doc any
	if rt.scope.needsJSON() || rt.policy.Body == BodyJSON {
		if doc, err = decodeJSON(c.body); err != nil {
			m.reject(c, OutcomeInvalidBody, Problem{
				Type: ProblemInvalidBody, Status: http.StatusBadRequest, Title: "Ambiguous JSON body",
				Detail: "The request body is JSON that parsers read differently (" + strings.TrimPrefix(err.Error(), errAmbiguousJSON.Error()+": ") + "), so it cannot be told apart from another request. Send each member name once, in UTF-8.",
			})
			return
		}
	}
	scopeValue, err := rt.scope.value(r, doc)
	if err != nil && rt.policy.Anonymous != AnonymousShared {
		m.reject(c, OutcomeMissingScope, Problem{
			Type: ProblemMissingScope, Status: http.StatusBadRequest, Title: "Missing caller scope",
			Detail: "Idempotency keys on this route are scoped per caller (" + rt.scope.String() + "), and this request does not say who the caller is: " + rt.scope.missing() + ".",
		})
		return
	}
	// With AnonymousShared, a request naming no caller is in the one
	// anonymous scope, "", which no caller's value can spell: header
	// values are not blank, JSON values are never empty text.
	if rt.policy.Body != BodyJSON {
		doc = nil
	}
	c.claim = store.ClaimRequest{
		Key:         storageKey(rt.scope.kind, scopeValue, key),
		Fingerprint: fingerprint(r, c.path, rt.fingerprintHeaders, c.body, doc),
		Owner:       m.owners.next(),
		Lease:       rt.policy.Lease,
		TTL:         rt.policy.TTL,
		TakeOver:    rt.policy.OnAbandoned == AbandonedRetry,
	}
	m.claimAndAct(c)
}

// restoreBody gives the handler the body the middleware read.
func (c *call) restoreBody() {
	if len(c.body) == 0 {
		c.r.Body = http.NoBody
	} else {
		c.r.Body = io.NopCloser(bytes.NewReader(c.body))
	}
	c.r.ContentLength = int64(len(c.body))
}

// minWait keeps a waiter from claiming in a tight loop, should the store's
// Wait return at once while its Claim still answers Busy.
const minWait = 10 * time.Millisecond

// claimAndAct claims the key and acts on the outcome, waiting for the
// owner in wait mode.
func (m *Middleware) claimAndAct(c *call) {
	rt := c.rt
	if resp := m.cache.get(c.claim.Key, c.claim.Fingerprint, c.start); resp != nil {
		writeStored(c.w, resp)
		if c.span.IsRecording() {
			c.span.SetAttributes(attrCached.Bool(true))
		}
		c.done(OutcomeReplayed)
		return
	}
	deadline := c.start.Add(rt.policy.WaitTimeout)
	waited := false
	for {
		res, err := m.doClaim(c)
		if err != nil {
			m.storeTrouble(c, err)
			return
		}
		if res.Outcome != store.Replay {
			// The store no longer holds what a cached copy of this key
			// says (it was deleted, or expired, and may be claimed anew):
			// drop the copy, whatever request it was for.
			m.cache.forget(c.claim.Key)
		}
		switch res.Outcome {
		case store.Claimed:
			m.execute(c, res)
			return
		case store.Replay:
			outcome := OutcomeReplayed
			if waited {
				outcome = OutcomeWaited
			}
			writeStored(c.w, res.Response)
			c.done(outcome)
			m.cache.put(c.claim.Key, c.claim.Fingerprint, res.Response, res.ExpiresIn, time.Now())
			return
		case store.Busy:
			if left := time.Until(deadline); rt.policy.InProgress == InProgressWait && left > 0 {
				// Bounded by the lease left: a dead owner notifies nobody,
				// so the claim must be retried when its lease runs out.
				err := m.wait(c.r.Context(), c.span, c.claim.Key, min(left, max(res.RetryAfter, minWait)))
				if c.r.Context().Err() != nil {
					c.done(OutcomeConflict)
					return // the client is gone: nobody to answer
				}
				if err == nil {
					waited = true
					continue
				}
			}
			m.reject(c, OutcomeConflict, Problem{
				Type: ProblemInProgress, Status: http.StatusConflict, Title: "Request in progress",
				Detail: "A request with this idempotency key is still being processed. Retry after the delay to get its result.",
				// Owners usually finish in milliseconds; the lease left is
				// only the bound, so clients are asked back soon.
				RetryAfter: min(max(res.RetryAfter, time.Millisecond), time.Second),
			})
		default:
			m.rejectOutcome(c, res)
		}
		return
	}
}

// wait blocks until the key's owner finishes or d passes, and at least
// minWait. It returns the client's context error when the client went away,
// and the store's error when waiting failed (the caller then stops waiting,
// so a broken store cannot turn the wait into a busy loop). The store
// giving up on its own deadline is no failure: the caller claims again.
func (m *Middleware) wait(parent context.Context, span trace.Span, key store.Key, d time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	ctx, op := m.startOp(ctx, span, "wait")
	err := m.store.Wait(ctx, key)
	switch {
	case parent.Err() != nil:
		op.end(resultError, parent.Err())
	case err == nil:
		op.end(resultOK, nil)
	case errors.Is(err, context.DeadlineExceeded):
		op.end(resultTimeout, nil)
	default:
		op.end(resultError, err)
	}
	if perr := parent.Err(); perr != nil {
		return perr
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		m.metrics.storeFailed("wait")
		m.log.Warn("idempotency: store wait failed", "key", key.String(), "err", err)
		return err
	}
	if gap := minWait - time.Since(op.began); gap > 0 {
		t := time.NewTimer(gap)
		defer t.Stop()
		select {
		case <-t.C:
		case <-parent.Done():
			return parent.Err()
		}
	}
	return nil
}
