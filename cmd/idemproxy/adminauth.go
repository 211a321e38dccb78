package main

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized reports whether r carries the admin token as a Bearer
// credential. A refusal is logged at warn with the caller's address, method
// and path: never the token, the Authorization value or the query (a
// record address holds a caller's scope value and key).
func (h *records) authorized(r *http.Request) bool {
	got, ok := bearerToken(r.Header.Get("Authorization"))
	if ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) == 1 {
		return true
	}
	reason := "wrong token"
	if !ok {
		reason = "no Bearer credentials"
	}
	h.log.Warn("admin: authentication failed", "reason", reason,
		"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
	return false
}

// bearerToken returns the token of a Bearer credential. The auth-scheme is
// case-insensitive (RFC 9110, section 11.1), so "bearer" and "BEARER" are
// Bearer too, and any run of spaces separates it from the token.
func bearerToken(v string) (string, bool) {
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.Trim(token, " ")
	return token, token != ""
}
