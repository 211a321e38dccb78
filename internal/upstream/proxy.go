package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
	"github.com/idemproxy/idemproxy/middleware"
)

// The problems the proxy itself writes (the middleware writes the others),
// under the middleware's prefix so that clients see one family of types.
const (
	// ProblemUpstreamUnreachable: the upstream could not be connected to, so
	// nothing was sent; the key is released and the same key may be retried.
	ProblemUpstreamUnreachable middleware.ProblemType = middleware.ProblemBase + "upstream-unreachable" // 502
	// ProblemUpstreamTimeout: the request was sent but no response came in
	// time; the outcome is unknown, so the key is recorded as failed.
	ProblemUpstreamTimeout middleware.ProblemType = middleware.ProblemBase + "upstream-timeout" // 504
	// ProblemUpstreamFailed: the request was sent and the connection broke
	// (reset, closed, malformed response); recorded as failed.
	ProblemUpstreamFailed middleware.ProblemType = middleware.ProblemBase + "upstream-failed" // 502
)

// NewTransport is the transport to the upstream: a keep-alive pool sized
// for load (net/http's default keeps 2 idle connections per host, so most
// requests under load would dial), and bounded connects.
func NewTransport(c proxyconfig.Upstream) *http.Transport {
	dialer := &net.Dialer{Timeout: c.DialTimeout.Std(), KeepAlive: 30 * time.Second}
	return &http.Transport{
		// No Proxy: the upstream is addressed directly, and an
		// HTTP_PROXY meant for the host's outbound traffic must not capture
		// a sidecar's loopback hop.
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          c.MaxIdleConns,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
		MaxConnsPerHost:       c.MaxConnsPerHost,
		IdleConnTimeout:       c.IdleConnTimeout.Std(),
		TLSHandshakeTimeout:   c.DialTimeout.Std(),
		ResponseHeaderTimeout: c.ResponseHeaderTimeout.Std(),
		ExpectContinueTimeout: time.Second,
	}
}

// NewProxy returns the reverse proxy to target, forwarding as c's Host and
// TrustForwarded say. Its errors are problem+json; an upstream that could
// not be reached at all is reported to the middleware as not executed, so
// the key is released.
func NewProxy(target *url.URL, transport http.RoundTripper, c proxyconfig.Upstream, log *slog.Logger) *httputil.ReverseProxy {
	fwd := newForwarding(c)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			fwd.rewrite(pr)
			enableFullDuplex(pr.In)
			// This hop already answered the client's Expect: 100-continue
			// (net/http sends the 100 when the body is first read). Passed
			// on, the upstream would send a second 100 to the client, and an
			// upstream that ignores Expect would cost the transport's
			// ExpectContinueTimeout before the body goes out.
			pr.Out.Header.Del("Expect")
			hideKeyFromTransportRetry(pr.Out.Header)
		},
		Transport:  transport,
		BufferPool: newBufferPool(),
		ErrorLog:   slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p := upstreamProblem(err)
			if p.Type == ProblemUpstreamUnreachable {
				middleware.NotExecuted(r)
			}
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				// The client hung up on a route the middleware does not
				// cover (covered requests are detached from the client).
				log.Debug("client went away", "method", r.Method, "path", r.URL.Path)
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			log.Warn("upstream error", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
			middleware.WriteProblem(w, p)
		},
	}
}

// transportRetryHeaders are the headers that make net/http's Transport
// deem a request replayable (Request.isReplayable, golang/go#19943): one
// without a body is then sent again on a new connection when a reused
// connection breaks before the response. For the proxy that is a second
// execution of a request the upstream may already have run (RELIABILITY.md
// D1); a broken connection must be answered 502 and recorded failed.
var transportRetryHeaders = []string{"Idempotency-Key", "X-Idempotency-Key"}

// hideKeyFromTransportRetry moves those headers under their lower-case
// names: net/http's check is an exact map lookup, and on the wire field
// names are case-insensitive (HTTP/2 lower-cases them anyway), so the
// upstream still reads the key.
func hideKeyFromTransportRetry(h http.Header) {
	for _, name := range transportRetryHeaders {
		if v, ok := h[name]; ok {
			delete(h, name)
			h[strings.ToLower(name)] = v
		}
	}
}

// upstreamProblem classifies a transport error. Only errors that prove
// nothing was sent (a failed dial or TLS handshake) count as unreachable:
// releasing a key after the request may have arrived would let a retry run
// it twice.
func upstreamProblem(err error) middleware.Problem {
	switch {
	case notSent(err):
		return middleware.Problem{
			Type: ProblemUpstreamUnreachable, Status: http.StatusBadGateway, Title: "Upstream unreachable",
			Detail:     "The upstream could not be reached; the request was not sent. It is safe to retry with the same idempotency key.",
			RetryAfter: time.Second,
		}
	case isTimeout(err):
		return middleware.Problem{
			Type: ProblemUpstreamTimeout, Status: http.StatusGatewayTimeout, Title: "Upstream timeout",
			Detail: "The upstream did not answer in time; whether the request took effect is unknown. Check, then use a new idempotency key.",
		}
	default:
		return middleware.Problem{
			Type: ProblemUpstreamFailed, Status: http.StatusBadGateway, Title: "Upstream failed",
			Detail: "The connection to the upstream broke after the request was sent; whether it took effect is unknown. Check, then use a new idempotency key.",
		}
	}
}

func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &rh) || errors.As(err, &cv)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// bufferPool reuses ReverseProxy's 32 KiB copy buffers, which it otherwise
// allocates per response: the profile put them at 70% of the bytes a first
// request allocates, and GC and allocation at 18% of the proxy's CPU.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b *bufferPool) Put(x []byte) { b.p.Put(&x) }
