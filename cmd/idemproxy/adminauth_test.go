package main

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The auth-scheme is case-insensitive (RFC 9110) and spaces after it are
// tolerated; anything but the token as a Bearer credential is 401.
func TestAdminAuthScheme(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1", time.Second)
	adm, _ := adminFor(t, h, "s3cret")
	u := adm.URL + "/records?route=default&key=absent"
	tests := []struct {
		authorization string
		want          int // 404: authorized, and there is no such record
	}{
		{"Bearer s3cret", http.StatusNotFound},
		{"bearer s3cret", http.StatusNotFound},
		{"BEARER s3cret", http.StatusNotFound},
		{"bEaReR s3cret", http.StatusNotFound},
		{"Bearer   s3cret", http.StatusNotFound},
		{"Bearer s3cret  ", http.StatusNotFound},
		{"", http.StatusUnauthorized},
		{"s3cret", http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearers3cret", http.StatusUnauthorized},
		{"Basic s3cret", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Bearer s3cret2", http.StatusUnauthorized},
		{"Bearer s3cr", http.StatusUnauthorized},
		{"Bearer s3 cret", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.authorization, func(t *testing.T) {
			t.Parallel()
			if got, body := callAuthorization(t, http.MethodGet, u, tc.authorization); got != tc.want {
				t.Errorf("GET with Authorization %q: got %d %s, want %d", tc.authorization, got, body, tc.want)
			}
		})
	}
}

// A refused request is logged at warn with the caller's address, method
// and path, and never with the token, the Authorization value or the query.
func TestAdminAuthFailureLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1", time.Second)
	var logs lockedBuffer
	adm, _ := adminLogging(t, h, "s3cret", slog.New(slog.NewJSONHandler(&logs, nil)))
	u := adm.URL + "/records?route=default&key=query-secret"
	tests := []struct {
		name, authorization, reason string
	}{
		{"WrongToken", "Bearer token-secret", "wrong token"},
		{"OtherScheme", "Basic basic-secret", "no Bearer credentials"},
		{"None", "", "no Bearer credentials"},
	}
	for _, tc := range tests {
		before := len(logs.String())
		if got, _ := callAuthorization(t, http.MethodDelete, u, tc.authorization); got != http.StatusUnauthorized {
			t.Fatalf("%s: DELETE got %d, want 401", tc.name, got)
		}
		line := logs.String()[before:]
		for _, want := range []string{`"level":"WARN"`, `"msg":"admin: authentication failed"`, `"reason":"` + tc.reason + `"`,
			`"remote":"127.0.0.1:`, `"method":"DELETE"`, `"path":"/records"`} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: log %s, want %s", tc.name, line, want)
			}
		}
	}
	for _, leak := range []string{"token-secret", "basic-secret", "query-secret", "s3cret"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("log %s contains %q", logs.String(), leak)
		}
	}
	before := len(logs.String())
	if got, _ := call(t, http.MethodGet, u, "s3cret"); got != http.StatusNotFound {
		t.Fatalf("GET with the token: got %d, want 404 (no such record)", got)
	}
	if line := logs.String()[before:]; strings.Contains(line, "authentication failed") {
		t.Errorf("an authorized request logged %s", line)
	}
}
