package middleware

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClientGoneDoesNotStopTheWork: a client that hangs up after its key is
// claimed neither cancels the handler nor stops the result from being
// recorded; its retry replays the result.
func TestClientGoneDoesNotStopTheWork(t *testing.T) {
	t.Parallel()
	clientCtx := make(chan context.Context, 1)
	proceed := make(chan struct{})
	handlerErr := make(chan error, 1)
	served := make(chan struct{}, 2)
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e.calls.Load() == 0 {
				<-proceed
			}
			handlerErr <- r.Context().Err()
			ordersHandler(e).ServeHTTP(w, r)
		})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clientCtx <- r.Context()
		e.h.ServeHTTP(w, r)
		served <- struct{}{}
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/orders", strings.NewReader(body1))
	req.Header.Set("Idempotency-Key", "gone")
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	serverSide := <-clientCtx
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client error = %v, want context.Canceled", err)
	}
	<-serverSide.Done() // the server saw the client go
	close(proceed)
	if err := <-handlerErr; err != nil {
		t.Fatalf("handler context error = %v after the client left, want nil", err)
	}
	<-served

	resp, err := srv.Client().Do(newPost(t, srv.URL, "gone"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry got %d replayed=%q %s, want the recorded 201 replayed", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), body)
	}
	if got := e.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
}

func newPost(t *testing.T, base, key string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/orders", strings.NewReader(body1))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", key)
	return req
}

func TestHandlerGetsItsOwnTimeout(t *testing.T) {
	t.Parallel()
	deadline := make(chan time.Duration, 1)
	e := newEnv(t, Config{Policy: Policy{HandlerTimeout: time.Minute}}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, ok := r.Context().Deadline()
			if !ok {
				deadline <- 0
				return
			}
			deadline <- time.Until(d)
		})
	})
	e.do(request{key: "k"})
	if got := <-deadline; got <= 50*time.Second || got > time.Minute {
		t.Errorf("handler deadline in %s, want about 1m", got)
	}
}

// TestLeaseIsRenewedWhileHandlerRuns: a handler that runs longer than the
// lease keeps its key: a retry meanwhile gets 409 in progress, never
// "abandoned" (which would invite a takeover and a second execution).
func TestLeaseIsRenewedWhileHandlerRuns(t *testing.T) {
	t.Parallel()
	const lease = 30 * time.Millisecond
	release := make(chan struct{})
	started := make(chan struct{})
	e := newEnv(t, Config{Policy: Policy{Lease: lease}}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e.calls.Add(1) == 1 {
				close(started)
				<-release
			}
			w.WriteHeader(http.StatusCreated)
		})
	})
	e.spy.renewed = make(chan struct{}, 1)
	done := make(chan int, 1)
	go func() { done <- e.do(request{key: "long"}).Code }()
	<-started

	// Move the store's clock two thirds into the lease, then wait for two
	// renewals: the second surely read the moved clock.
	e.clock.Advance(20 * time.Millisecond)
	<-e.spy.renewed
	<-e.spy.renewed
	// Past the original lease, but within the renewed one.
	e.clock.Advance(20 * time.Millisecond)
	w := e.do(request{key: "long"})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(ProblemInProgress)) {
		t.Errorf("retry during a long handler got %d %s, want 409 in-progress", w.Code, w.Body)
	}
	close(release)
	if code := <-done; code != http.StatusCreated {
		t.Errorf("owner got %d, want 201", code)
	}
}

// TestPanicRecordsFailure: a handler that panics may have acted; its key is
// recorded failed (not stuck, not released for a second run), and the panic
// still reaches net/http so the broken response is aborted.
func TestPanicRecordsFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.calls.Add(1)
			w.WriteHeader(http.StatusCreated)
			panic(http.ErrAbortHandler)
		})
	})
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic http.ErrAbortHandler", p)
			}
		}()
		e.do(request{key: "boom"})
	}()
	w := e.do(request{key: "boom"})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(ProblemPreviouslyFailed)) {
		t.Errorf("retry after a panic got %d %s, want 409 previously-failed", w.Code, w.Body)
	}
	if got := e.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
}

// TestHandlerSeesKeyFencingTokenAndFlusher: the handler gets the key and the
// claim's fencing token in headers, and can still flush through the
// recorder.
func TestHandlerSeesKeyFencingTokenAndFlusher(t *testing.T) {
	t.Parallel()
	type seen struct {
		key, fence string
		flushErr   error
		isFlusher  bool
	}
	got := make(chan seen, 1)
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, ok := w.(http.Flusher)
			_, _ = w.Write([]byte("partial"))
			got <- seen{r.Header.Get("Idempotency-Key"), r.Header.Get("Idempotency-Fencing-Token"), http.NewResponseController(w).Flush(), ok}
		})
	})
	w := e.do(request{key: `"fk"`})
	s := <-got
	if s.key != `"fk"` {
		t.Errorf("handler saw key %q, want the client's header %q", s.key, `"fk"`)
	}
	if v, err := strconv.ParseInt(s.fence, 10, 64); err != nil || v <= 0 {
		t.Errorf("fencing token %q, want a positive integer", s.fence)
	}
	if s.flushErr != nil || !s.isFlusher || !w.Flushed {
		t.Errorf("flush: err %v, Flusher %v, flushed %v; want nil, true, true", s.flushErr, s.isFlusher, w.Flushed)
	}
}

// TestNotExecutedReleasesTheKey: a handler that says it did nothing (a
// proxy whose upstream refused the connection) gets its key released
// whatever its status, so the client's retry runs; a 502 without that
// word is failed as usual.
func TestNotExecutedReleasesTheKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e.calls.Add(1) == 1 || r.Header.Get("X-Refused") != "" {
				NotExecuted(r)
			}
			w.WriteHeader(http.StatusBadGateway)
		})
	})
	for i, want := range []int{http.StatusBadGateway, http.StatusBadGateway, http.StatusConflict} {
		if w := e.do(request{key: "refused"}); w.Code != want {
			t.Errorf("request %d got %d, want %d", i+1, w.Code, want)
		}
	}
	if got := e.calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (released once, then failed)", got)
	}
	NotExecuted(httptestRequest("")) // outside the middleware: no effect, no panic
}
