package middleware

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReplayIsWhatTheClientGot: over a real server, a retry gets exactly
// what the first client received, or 409 not-replayable when the captured
// bytes cannot reproduce it; the handler never runs twice.
func TestReplayIsWhatTheClientGot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request) error
		// notReplayable: the retry gets 409 not-replayable; otherwise it
		// gets wantReplay, replayed.
		notReplayable bool
		wantReplay    string
		wantHeaders   map[string]string // on the replay; "" means absent
	}{
		{name: "body shorter than its declared length", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "100")
			_, err := w.Write([]byte("0123456789"))
			return err
		}, notReplayable: true},
		{name: "body longer than its declared length is refused by net/http", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "5")
			if _, err := w.Write([]byte("12345EXTRA")); !errors.Is(err, http.ErrContentLength) {
				return fmt.Errorf("over-long write: %v, want http.ErrContentLength", err)
			}
			return nil
		}, notReplayable: true},
		{name: "body on a 204 is not sent and not replayed", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusNoContent)
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
				return fmt.Errorf("write on a 204: %v, want http.ErrBodyNotAllowed", err)
			}
			return nil
		}, wantReplay: ""},
		{name: "trailers cannot be replayed", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Trailer", "X-Sum")
			_, err := w.Write([]byte("body"))
			w.Header().Set("X-Sum", "42")
			return err
		}, notReplayable: true},
		{name: "hop-by-hop and Connection-named headers are not replayed", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Connection", "X-Hop")
			w.Header().Set("X-Hop", "1")
			w.Header().Set("Keep-Alive", "timeout=5")
			w.Header().Set("X-Kept", "yes")
			_, err := w.Write([]byte("ok"))
			return err
		}, wantReplay: "ok", wantHeaders: map[string]string{"X-Hop": "", "Keep-Alive": "", "X-Kept": "yes", "Content-Length": "2"}},
		{name: "outer layers' headers belong to each request", handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("X-Order", "o-1")
			_, err := w.Write([]byte("ok"))
			return err
		}, wantReplay: "ok", wantHeaders: map[string]string{"X-Request-Id": "req-2", "X-Order": "o-1"}},
		{name: "deadlines reach the connection through Unwrap", handler: func(w http.ResponseWriter, r *http.Request) error {
			if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				return fmt.Errorf("SetWriteDeadline through the recorder: %w", err)
			}
			_, err := w.Write([]byte("ok"))
			return err
		}, wantReplay: "ok"},
		{name: "a hijacked connection cannot be replayed", handler: func(w http.ResponseWriter, r *http.Request) error {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return fmt.Errorf("Hijack through the recorder: %w", err)
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			return buf.Flush()
		}, notReplayable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			handlerErr := make(chan error, 2)
			e := newEnv(t, Config{}, func(e *env) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					e.calls.Add(1)
					handlerErr <- tc.handler(w, r)
				})
			})
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n.Add(1)))
				e.h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			send := func() (*http.Response, string, error) {
				req := newPost(t, srv.URL, "k")
				req.Close = true // a hijacked or broken connection is not reused
				resp, err := srv.Client().Do(req)
				if err != nil {
					return nil, "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp, string(b), err
			}
			_, _, _ = send() // the first client may see a broken response; that is the point
			if err := <-handlerErr; err != nil {
				t.Fatal(err)
			}
			resp, body, err := send()
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if e.calls.Load() != 1 {
				t.Fatalf("handler ran %d times, want 1", e.calls.Load())
			}
			if tc.notReplayable {
				if resp.StatusCode != http.StatusConflict || !strings.Contains(body, string(ProblemNotReplayable)) {
					t.Fatalf("retry got %d %q, want 409 not-replayable", resp.StatusCode, body)
				}
				return
			}
			if resp.Header.Get("Idempotent-Replayed") != "true" || body != tc.wantReplay {
				t.Fatalf("retry got %d replayed=%q %q, want the replay %q", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), body, tc.wantReplay)
			}
			for k, want := range tc.wantHeaders {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("replayed header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
