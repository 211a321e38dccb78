package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// TestRequestLogHashesTheKey checks that a request line carries the key's
// hash and never the key or the body.
func TestRequestLogHashesTheKey(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := newLogger(proxyconfig.Log{Format: "json", Level: "info"}, &buf)
	h := requestLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}), log, "Idempotency-Key")
	req := httptest.NewRequest(http.MethodPost, "/orders?token=secret-query", strings.NewReader(`{"card":"4242-secret-body"}`))
	req.Header.Set("Idempotency-Key", "secret-key-123")
	h.ServeHTTP(httptest.NewRecorder(), req)

	line := buf.String()
	for _, leak := range []string{"secret-key-123", "secret-body", "secret-query"} {
		if strings.Contains(line, leak) {
			t.Errorf("log line %s contains %q", line, leak)
		}
	}
	for _, want := range []string{`"key_hash":"` + keyHash("secret-key-123") + `"`, `"status":201`, `"path":"/orders"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %s, want %s", line, want)
		}
	}
}

func TestNewLoggerLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := newLogger(proxyconfig.Log{Format: "text", Level: "warn"}, &buf)
	log.Info("hidden")
	log.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "level=WARN msg=shown") {
		t.Errorf("text logger at warn wrote %q", out)
	}
	if log.Enabled(t.Context(), slog.LevelInfo) {
		t.Errorf("info enabled at level warn")
	}
}
