package middleware

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestTrailersArePartOfTheRequest sends a chunked body with a trailer
// over a real connection. The handler acts on the trailer, so a retry with
// another trailer is another request: 422, not the first one's replay.
func TestRequestTrailersArePartOfTheRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Policy: Policy{Scope: "none"}}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.calls.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, "charged "+r.Trailer.Get("X-Amount"))
		})
	})
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	send := func(amount string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/orders", struct{ io.Reader }{strings.NewReader("order")})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Idempotency-Key", "k")
		req.Trailer = http.Header{"X-Amount": {amount}}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := send("10"); status != http.StatusOK || body != "charged 10" {
		t.Fatalf("first: %d %q, want 200 \"charged 10\" (the trailer reaches the handler)", status, body)
	}
	if status, body := send("10"); status != http.StatusOK || body != "charged 10" {
		t.Errorf("same trailer: %d %q, want the replay", status, body)
	}
	if status, body := send("99"); status != http.StatusUnprocessableEntity {
		t.Errorf("other trailer: %d %q, want 422 key-reused", status, body)
	}
	if n := e.calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}
