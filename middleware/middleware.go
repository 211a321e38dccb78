package middleware

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/idemproxy/idemproxy/store"
)

// Middleware makes covered requests idempotent. Build one with New; its
// Handler method is the func(http.Handler) http.Handler to install.
type Middleware struct {
	store   store.Store
	header  string // canonical key header name
	fencing string // canonical fencing header name
	routes  []*route
	metrics *metrics
	log     *slog.Logger
	bufs    sync.Pool // *[]byte, reused for request bodies and captures
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
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	var errs []error
	for _, h := range []struct{ field, v string }{{"HeaderName", m.header}, {"FencingHeader", m.fencing}} {
		if !validHeaderName(h.v) {
			errs = append(errs, errorf("%s: %q is not a header name", h.field, h.v))
		}
	}
	base := cfg.Policy.inherit(defaultPolicy)
	reported := map[fieldError]bool{}
	errs = append(errs, configErrors("", base.validate(), reported)...)
	routes := cfg.Routes
	if len(routes) == 0 {
		routes = []Route{{Name: "default"}}
	}
	for i, r := range routes {
		rt, rerrs := newRoute(r, base, i, reported)
		errs = append(errs, rerrs...)
		m.routes = append(m.routes, rt)
	}
	if err := errorsJoin(errs); err != nil {
		return nil, err
	}
	var err error
	if m.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	return m, nil
}

// Handler wraps next. Requests no route covers reach next untouched.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range m.routes {
			if rt.matches(r) {
				m.serve(rt, next, w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// serve runs the lifecycle of one covered request.
func (m *Middleware) serve(rt *route, next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	lines := r.Header[m.header]
	if len(lines) == 0 {
		if rt.policy.Key == KeyRequired {
			m.reject(w, rt, start, OutcomeMissingKey, Problem{
				Type: ProblemMissingKey, Status: http.StatusBadRequest, Title: "Idempotency key required",
				Detail: "This request must carry the " + m.header + " header.",
			})
			return
		}
		m.metrics.observe(rt.name, OutcomeBypassed, start)
		next.ServeHTTP(w, r)
		return
	}
	key, err := parseKey(lines)
	if err != nil {
		m.reject(w, rt, start, OutcomeInvalidKey, Problem{
			Type: ProblemInvalidKey, Status: http.StatusBadRequest, Title: "Invalid idempotency key",
			Detail: "The " + m.header + " header is invalid: " + err.Error() + ". Send 1-255 visible ASCII characters, bare or as a quoted string, on one field line.",
		})
		return
	}

	// The body is not pooled: the handler (a reverse proxy's transport) may
	// still read it after it returned.
	body, err := readBody(r, rt.policy.MaxRequestBody)
	if err != nil {
		m.rejectBody(w, rt, start, err)
		return
	}
	var doc any
	if rt.scope.needsJSON() || rt.policy.Body == BodyJSON {
		doc = decodeJSON(body)
	}
	scopeValue, err := rt.scope.value(r, doc)
	if err != nil {
		m.reject(w, rt, start, OutcomeMissingScope, Problem{
			Type: ProblemMissingScope, Status: http.StatusBadRequest, Title: "Missing caller scope",
			Detail: "Idempotency keys on this route are scoped by a body field the request does not carry.",
		})
		return
	}
	if rt.policy.Body != BodyJSON {
		doc = nil
	}
	req := store.ClaimRequest{
		Key:         storageKey(rt.scope.kind, scopeValue, key),
		Fingerprint: fingerprint(r, rt.policy.FingerprintHeaders, body, doc),
		Owner:       uuid.NewString(),
		Lease:       rt.policy.Lease,
		TTL:         rt.policy.TTL,
		TakeOver:    rt.policy.OnAbandoned == AbandonedRetry,
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	m.claim(rt, next, w, r, req, start)
}

// minWait keeps a waiter from spinning on a lease about to run out.
const minWait = 10 * time.Millisecond

// claim claims the key and acts on the outcome, waiting for the owner in
// wait mode.
func (m *Middleware) claim(rt *route, next http.Handler, w http.ResponseWriter, r *http.Request, req store.ClaimRequest, start time.Time) {
	deadline := start.Add(rt.policy.WaitTimeout)
	waited := false
	for {
		res, err := m.doClaim(rt, req)
		if err != nil {
			m.storeTrouble(rt, next, w, r, start, err)
			return
		}
		switch res.Outcome {
		case store.Claimed:
			m.execute(rt, next, w, r, req, res, start)
			return
		case store.Replay:
			outcome := OutcomeReplayed
			if waited {
				outcome = OutcomeWaited
			}
			writeStored(w, res.Response)
			m.metrics.observe(rt.name, outcome, start)
			return
		case store.Busy:
			left := time.Until(deadline)
			if rt.policy.InProgress == InProgressWait && left > 0 {
				// Bounded by the lease left: a dead owner notifies nobody,
				// so the claim must be retried when its lease runs out.
				err := m.wait(r.Context(), req.Key, min(left, max(res.RetryAfter, minWait)))
				if r.Context().Err() != nil {
					m.metrics.observe(rt.name, OutcomeConflict, start)
					return // the client is gone: nobody to answer
				}
				if err == nil {
					waited = true
					continue
				}
			}
			m.reject(w, rt, start, OutcomeConflict, Problem{
				Type: ProblemInProgress, Status: http.StatusConflict, Title: "Request in progress",
				Detail:     "A request with this idempotency key is still being processed. Retry after the delay to get its result.",
				RetryAfter: max(res.RetryAfter, time.Second),
			})
		default:
			m.rejectOutcome(w, rt, start, res)
		}
		return
	}
}

// wait blocks until the key's owner finishes or d passes. It returns the
// client's context error when the client went away, and the store's error
// when waiting failed (the caller then stops waiting, so a broken store
// cannot turn the wait into a busy loop).
func (m *Middleware) wait(parent context.Context, key store.Key, d time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	began := time.Now()
	err := m.store.Wait(ctx, key)
	m.metrics.storeDuration.WithLabelValues("wait").Observe(time.Since(began).Seconds())
	if perr := parent.Err(); perr != nil {
		return perr
	}
	if err != nil && ctx.Err() == nil {
		m.metrics.storeErrors.WithLabelValues("wait").Inc()
		m.log.Warn("idempotency: store wait failed", "key", key.String(), "err", err)
		return err
	}
	return nil
}
