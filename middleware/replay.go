package middleware

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/store"
)

// neverStored are the response headers that describe one connection or one
// transfer, not the response: hop-by-hop headers (RFC 9110 §7.6.1) and
// Content-Length, which a replay sets from the stored body.
var neverStored = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true,
}

// storedHeader returns the response headers to store: those the handler
// set (not those outer layers had set before it ran, which belong to each
// request), less the excluded ones, the hop-by-hop ones and those the
// Connection header names. The value slices are shared, not copied: the
// store copies on Finish.
func (rt *route) storedHeader(h, pre http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if neverStored[k] || rt.exclude[k] {
			continue
		}
		if pvs, ok := pre[k]; ok && slices.Equal(pvs, vs) {
			continue
		}
		out[k] = vs
	}
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			delete(out, http.CanonicalHeaderKey(strings.TrimSpace(name)))
		}
	}
	return out
}

// writeStored replays a stored response byte for byte, marked as a replay.
// Content-Length is that of the stored body, so the client can tell a whole
// replay from a cut one.
func writeStored(w http.ResponseWriter, resp *store.Response) {
	h := w.Header()
	// The stored response may be shared (the replay cache), and a layer
	// after us may write into the header's value slices: give this
	// response its own, in one allocation.
	n := 0
	for _, vs := range resp.Header {
		n += len(vs)
	}
	values := make([]string, 0, n)
	for k, vs := range resp.Header {
		start := len(values)
		values = append(values, vs...)
		h[k] = values[start:len(values):len(values)]
	}
	h.Set("Idempotent-Replayed", "true")
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
