// Package client is the client side of idemproxy: an http.RoundTripper that
// sends an Idempotency-Key with every unsafe request and retries where the
// same key makes a retry safe — for an API behind idemproxy, or any server
// that follows the IETF Idempotency-Key draft or Stripe's rules.
//
//	c, err := client.NewClient(client.Config{})
//	resp, err := c.Post(url, "application/json", body)
//	res := client.ResultOf(resp) // Attempts, Key, Replayed, Problem, GaveUp
//
// # Keys
//
// A request of a covered method (Config.Methods, default POST and PATCH)
// without a key gets a fresh one (a UUID) before its first attempt, and
// every retry carries the same key. A key the caller supplies — in the
// header, or with WithKey for a key a job persisted so that its next run
// gets this run's result — is sent as is.
//
// # When it retries
//
// Only while the same key makes it safe, and only where another answer may
// come (DefaultPolicy): transport errors, whether or not the request may
// have been sent; 409 problem-in-progress; 425; 429; 502
// problem-upstream-unreachable; 503; another 5xx with Retry-After. Never a
// replay, nor 400, 401, 403, 404, 413, 422, 409 previously-failed,
// abandoned or not-replayable, nor any other 4xx. A request with no key is
// retried only when its method is idempotent by itself (GET, HEAD, OPTIONS,
// TRACE, PUT, DELETE). Config.Policy replaces the policy with a function.
//
// # When it waits
//
// A response's Retry-After (seconds or an HTTP date), capped by
// MaxRetryAfter; otherwise exponential backoff with full jitter. Attempts
// are bounded by MaxAttempts and MaxElapsed, and the request's context
// always wins: a wait that would end past its deadline is not started, and
// a context that ends during a wait ends it. Then the transport returns the
// last response (ResultOf(resp).GaveUp says why it stopped) or the last
// error (a *GaveUpError).
//
// # Bodies
//
// A retry sends the body again: from Request.GetBody when set (as
// http.NewRequest sets it for bytes, strings and bytes.Buffer readers),
// otherwise from a copy buffered before the first attempt, up to
// MaxBufferedBody. A larger body without GetBody is streamed once and never
// retried (GaveUp is StopBodyNotRewindable).
//
// # What the caller learns
//
// The final response as the server sent it (a problem+json body is read to
// learn its type, then put back), and ResultOf: how many attempts it took,
// the key, whether it was a replay (Idempotent-Replayed), the problem of a
// refusal. Config.Registerer receives counters (idemproxy_client_attempts_total,
// idemproxy_client_retries_total by reason, idemproxy_client_requests_total
// by outcome); Config.OnRetry is called before each wait, for logs.
//
// # Composing
//
// Config.Base is the transport each attempt goes through (default
// http.DefaultTransport). With a client that runs its own retry loop, such
// as hashicorp/go-retryablehttp, stamp the key on the request before its
// loop and use CheckRetry as its policy; see the examples.
//
// The package imports nothing of the server side: it matches problems by
// their documented type URIs (the README's "Problem types").
package client
