package middleware

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/store"
)

// storedHeader returns the response headers to store: all but the excluded
// ones and those the Connection header names as hop-by-hop.
func (rt *route) storedHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if !rt.exclude[k] {
			out[k] = vs
		}
	}
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
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
	for k, vs := range resp.Header {
		h[k] = vs
	}
	h.Set("Idempotent-Replayed", "true")
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
