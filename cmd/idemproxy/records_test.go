package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// DELETE of a key with no record (never written, or deleted already) is
// 404 and logs no "record deleted".
func TestAdminDeleteWithoutRecord(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"order_id":"o-1"}`)
	}))
	t.Cleanup(up.Close)
	h := newHarness(t, up.URL, 5*time.Second)
	var logs lockedBuffer
	adm, _ := adminLogging(t, h, "s3cret", slog.New(slog.NewTextHandler(&logs, nil)))
	address := func(key string) string {
		return adm.URL + "/records?" + url.Values{"route": {"default"}, "key": {key}}.Encode()
	}
	if status, _, _ := h.post(t, "written"); status != http.StatusCreated {
		t.Fatalf("POST = %d, want 201", status)
	}
	tests := []struct {
		name, key  string
		want       int
		wantLogged bool
	}{
		{"NeverWritten", "never-written", http.StatusNotFound, false},
		{"Written", "written", http.StatusNoContent, true},
		{"DeletedAlready", "written", http.StatusNotFound, false},
	}
	for _, tc := range tests { // in order: the second DELETE follows the first
		before := len(logs.String())
		status, body := call(t, http.MethodDelete, address(tc.key), "s3cret")
		if status != tc.want || tc.want == http.StatusNotFound && !strings.Contains(body, "No such record") {
			t.Errorf("%s: DELETE got %d %s, want %d", tc.name, status, body, tc.want)
		}
		if logged := strings.Contains(logs.String()[before:], "record deleted"); logged != tc.wantLogged {
			t.Errorf("%s: \"record deleted\" logged %v, want %v; log:\n%s", tc.name, logged, tc.wantLogged, logs.String()[before:])
		}
	}
}
