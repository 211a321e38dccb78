package upstream

import (
	"net/http"
	"net/http/httputil"
	"slices"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// forwarding is what the proxy tells the upstream about the client:
// ReverseProxy's Rewrite strips every inbound forwarding header, so a
// sidecar behind a load balancer would otherwise hand the API only its own
// peer (the balancer) as X-Forwarded-For, its own scheme as
// X-Forwarded-Proto (http behind TLS termination: redirect loops), and the
// upstream URL's host as Host.
type forwarding struct {
	keepHost              bool
	chain, host, proto, f bool // which inbound headers are trusted
}

// newForwarding reads c's Host and TrustForwarded, with proxyconfig's
// defaults for zero values (nil TrustForwarded; an empty list trusts none).
func newForwarding(c proxyconfig.Upstream) forwarding {
	trust := c.TrustForwarded
	if trust == nil {
		trust = proxyconfig.ForwardingHeaders[:3]
	}
	trusted := func(name string) bool {
		return slices.ContainsFunc(trust, func(h string) bool { return http.CanonicalHeaderKey(h) == name })
	}
	return forwarding{
		keepHost: c.Host != "upstream",
		chain:    trusted("X-Forwarded-For"),
		host:     trusted("X-Forwarded-Host"),
		proto:    trusted("X-Forwarded-Proto"),
		f:        trusted("Forwarded"),
	}
}

// rewrite sets the forwarding headers and Host of pr.Out, after SetURL.
func (f forwarding) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In.Header, pr.Out.Header
	if f.chain {
		// SetXForwarded appends the peer to what Out already has.
		if chain := in["X-Forwarded-For"]; len(chain) > 0 {
			out["X-Forwarded-For"] = slices.Clone(chain)
		}
	}
	pr.SetXForwarded()
	for _, h := range []struct {
		trusted bool
		name    string
	}{{f.host, "X-Forwarded-Host"}, {f.proto, "X-Forwarded-Proto"}, {f.f, "Forwarded"}} {
		if v := in[h.name]; h.trusted && len(v) > 0 {
			out[h.name] = slices.Clone(v)
		}
	}
	if f.keepHost {
		pr.Out.Host = pr.In.Host
	}
}
