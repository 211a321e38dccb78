package upstream

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// TestForwardingHeaders: what the upstream learns of the client, for a
// sidecar behind a load balancer (the defaults) and for a proxy facing
// clients directly.
func TestForwardingHeaders(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"host":      r.Host,
			"for":       strings.Join(r.Header.Values("X-Forwarded-For"), ", "),
			"fwd_host":  r.Header.Get("X-Forwarded-Host"),
			"fwd_proto": r.Header.Get("X-Forwarded-Proto"),
			"forwarded": r.Header.Get("Forwarded"),
		})
	}))
	t.Cleanup(echo.Close)
	target, _ := url.Parse(echo.URL)
	inbound := http.Header{
		"X-Forwarded-For":   {"203.0.113.7, 10.0.0.1"},
		"X-Forwarded-Host":  {"api.example.com"},
		"X-Forwarded-Proto": {"https"},
		"Forwarded":         {"for=203.0.113.7;proto=https"},
	}
	tests := []struct {
		name    string
		cfg     proxyconfig.Upstream
		inbound http.Header
		want    map[string]string
	}{
		{name: "defaults: the chain kept, the peer appended, Host the client's", inbound: inbound, want: map[string]string{
			"host": "orders.internal", "for": "203.0.113.7, 10.0.0.1, 127.0.0.1", "fwd_host": "api.example.com", "fwd_proto": "https", "forwarded": "",
		}},
		{name: "defaults, nothing in front", want: map[string]string{
			"host": "orders.internal", "for": "127.0.0.1", "fwd_host": "orders.internal", "fwd_proto": "http", "forwarded": "",
		}},
		{name: "trusting none", cfg: proxyconfig.Upstream{TrustForwarded: []string{}}, inbound: inbound, want: map[string]string{
			"host": "orders.internal", "for": "127.0.0.1", "fwd_host": "orders.internal", "fwd_proto": "http", "forwarded": "",
		}},
		{name: "trusting Forwarded only", cfg: proxyconfig.Upstream{TrustForwarded: []string{"forwarded"}}, inbound: inbound, want: map[string]string{
			"host": "orders.internal", "for": "127.0.0.1", "fwd_host": "orders.internal", "fwd_proto": "http", "forwarded": "for=203.0.113.7;proto=https",
		}},
		{name: "host: upstream", cfg: proxyconfig.Upstream{Host: "upstream"}, want: map[string]string{
			"host": target.Host, "for": "127.0.0.1", "fwd_host": "orders.internal", "fwd_proto": "http", "forwarded": "",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := NewTransport(tc.cfg)
			t.Cleanup(tr.CloseIdleConnections)
			srv := httptest.NewServer(NewProxy(target, tr, tc.cfg, nopLogger()))
			t.Cleanup(srv.Close)
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/whoami", nil)
			req.Host = "orders.internal"
			for k, v := range tc.inbound {
				req.Header[k] = v
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var got map[string]string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("upstream saw %s %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
