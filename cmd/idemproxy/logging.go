package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// newLogger builds the process logger from log.format and log.level
// (validated by proxyconfig).
func newLogger(c proxyconfig.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// keyHash is how an idempotency key appears in logs: the first 16 hex digits
// of its SHA-256, enough to correlate lines, never the key itself (a key
// may be guessable, or a secret the client reuses).
func keyHash(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

// requestLog logs one line per request (log.requests): method, path,
// status, duration and the key's hash. No body, no raw key, no query
// string (it may carry tokens).
func requestLog(next http.Handler, log *slog.Logger, keyHeader string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration", time.Since(start).String(), "key_hash", keyHash(r.Header.Get(keyHeader)),
				"replayed", sw.Header().Get("Idempotent-Replayed") == "true")
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter notes the status; Unwrap lets http.ResponseController reach
// Flush and Hijack underneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
