package client

import (
	"io"
	"net/http"
	"time"
)

// Transport is an http.RoundTripper that sends each covered request with an
// idempotency key and sends it again, with the same key, where the policy
// says that is safe and useful. It is safe for concurrent use.
type Transport struct {
	cfg     Config
	metrics *metrics
}

var _ http.RoundTripper = (*Transport)(nil)

// New returns a Transport with cfg's settings (the zero Config is usable).
// It fails on a setting that has no meaning and when the metrics cannot be
// registered.
func New(cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Transport{cfg: cfg, metrics: m}, nil
}

// NewClient returns an *http.Client whose Transport is New(cfg). Its
// Timeout stays zero: bound a request with its context (every wait and
// retry stays inside it) or set Timeout yourself.
func NewClient(cfg Config) (*http.Client, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

// Retry is what OnRetry is told before a wait.
type Retry struct {
	// Request is the caller's request.
	Request *http.Request
	// Key is the key every attempt carries, empty when the request has
	// none (an idempotent method).
	Key string
	// Attempt is the number of the attempt that is retried, from 1.
	Attempt int
	// Reason is the policy's.
	Reason string
	// Wait is how long the transport waits before the next attempt.
	Wait time.Duration
	// Status and Problem describe the response retried (0 and zero for a
	// transport error); Err is the transport error.
	Status  int
	Problem Problem
	Err     error
}

// CloseIdleConnections closes the Base's idle connections, when it can, so
// that http.Client.CloseIdleConnections reaches them.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.cfg.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip sends req, and again while the policy says so and the bounds
// allow. It returns the last response, or the last error (a *GaveUpError
// when the policy would have retried it); ResultOf tells what happened.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	key, setKey := t.requestKey(req)
	// Without a key, only a method that is idempotent by itself may be
	// sent twice.
	mayRetry := key != "" || idempotentMethod(req.Method)
	body, err := newBody(req, mayRetry && t.cfg.MaxAttempts > 1, t.cfg.MaxBufferedBody)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for n := 1; ; n++ {
		r := req.Clone(ctx)
		if setKey {
			r.Header.Set(t.cfg.Header, key)
		}
		if err := body.attach(r, n); err != nil {
			return nil, err
		}
		t.metrics.attempt()
		resp, err := t.cfg.Base.RoundTrip(r)
		a := Attempt{Request: r, Number: n, Response: resp, Err: err}
		if err == nil {
			if a.Problem, err = readProblem(resp); err != nil {
				a.Response, a.Err = nil, err
			}
		}
		stop := func(gaveUp StopReason) (*http.Response, error) {
			return t.finish(a, key, gaveUp)
		}
		if ctx.Err() != nil {
			return stop("")
		}
		d := t.cfg.Policy(a)
		switch {
		case !d.Retry:
			return stop("")
		case n >= t.cfg.MaxAttempts:
			return stop(StopMaxAttempts)
		case !mayRetry:
			return stop(StopNoKey)
		case !body.rewindable:
			return stop(StopBodyNotRewindable)
		}
		now := time.Now()
		wait := t.waitFor(d, a.Response, n, now)
		if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
			return stop(StopDeadline)
		}
		if t.cfg.MaxElapsed > 0 && now.Add(wait).Sub(start) > t.cfg.MaxElapsed {
			return stop(StopMaxElapsed)
		}
		t.metrics.retry(d.Reason)
		if t.cfg.OnRetry != nil {
			t.cfg.OnRetry(Retry{Request: req, Key: key, Attempt: n, Reason: d.Reason, Wait: wait,
				Status: status(a.Response), Problem: a.Problem, Err: a.Err})
		}
		// The response stays whole while we wait: it is what the caller
		// gets if the context ends first.
		if !sleep(ctx, wait) {
			return stop(StopCanceled)
		}
		discard(a.Response)
	}
}

// finish returns attempt a's outcome to the caller and counts it.
func (t *Transport) finish(a Attempt, key string, gaveUp StopReason) (*http.Response, error) {
	if a.Err != nil {
		if gaveUp != "" {
			t.metrics.done(OutcomeGaveUp)
			return nil, &GaveUpError{Attempts: a.Number, Key: key, Reason: gaveUp, Err: a.Err}
		}
		t.metrics.done(OutcomeFailed)
		return nil, a.Err
	}
	resp := a.Response
	res := Result{Attempts: a.Number, Key: key, Replayed: Replayed(resp), Problem: a.Problem, GaveUp: gaveUp}
	switch {
	case gaveUp != "":
		t.metrics.done(OutcomeGaveUp)
	case res.Replayed:
		t.metrics.done(OutcomeReplayed)
	case resp.StatusCode < 400:
		t.metrics.done(OutcomeSucceeded)
	default:
		t.metrics.done(OutcomeRefused)
	}
	withResult(resp, a.Request, res)
	return resp, nil
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// maxDrain bounds what is read of a retried response so that its
// connection can be reused; a longer body is closed unread.
const maxDrain = 64 << 10

func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	resp.Body.Close()
}
