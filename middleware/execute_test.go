package middleware

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store/memstore"
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
// "abandoned" (which would invite a takeover and a second execution). One
// that outlives its HandlerTimeout, ignoring its context, stops being
// renewed, so its key is not held forever. Time is synctest's.
func TestLeaseIsRenewedWhileHandlerRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		handlerTimeout time.Duration
		handlerGrace   time.Duration
		wantType       ProblemType
	}{
		{name: "renewed while the handler runs", handlerTimeout: time.Minute, wantType: ProblemInProgress},
		{name: "renewed within the grace past the handler timeout", handlerTimeout: 50 * time.Millisecond, handlerGrace: time.Second, wantType: ProblemInProgress},
		{name: "not renewed past the handler timeout and its grace", handlerTimeout: 50 * time.Millisecond, handlerGrace: 50 * time.Millisecond, wantType: ProblemAbandoned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				mem, err := memstore.New(memstore.Config{})
				if err != nil {
					t.Fatal(err)
				}
				mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{
					Lease: 30 * time.Millisecond, HandlerTimeout: tc.handlerTimeout, HandlerGrace: tc.handlerGrace,
				}})
				if err != nil {
					t.Fatal(err)
				}
				release := make(chan struct{})
				var calls atomic.Int64
				h := asCaller(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if calls.Add(1) == 1 {
						<-release // ignores its context
					}
					w.WriteHeader(http.StatusCreated)
				})))
				send := func() *httptest.ResponseRecorder {
					r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body1))
					r.Header.Set("Idempotency-Key", "long")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					return w
				}
				done := make(chan int, 1)
				go func() { done <- send().Code }()
				time.Sleep(200 * time.Millisecond) // far past the 30ms lease
				w := send()
				if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(tc.wantType)) {
					t.Errorf("retry during a long handler got %d %s, want 409 %s", w.Code, w.Body, tc.wantType)
				}
				close(release)
				<-done
				if got := calls.Load(); got != 1 {
					t.Errorf("handler ran %d times, want 1", got)
				}
			})
		})
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
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(ProblemPreviouslyFailed)) || !strings.Contains(w.Body.String(), "status 500") {
		t.Errorf("retry after a panic got %d %s, want 409 previously-failed naming 500 (not the 201 that broke off)", w.Code, w.Body)
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

// TestWaitModeGivesUpAtItsBound: a waiter whose owner does not finish in
// WaitTimeout gets 409 with Retry-After; a waiter whose client leaves stops
// waiting. Time is synctest's.
func TestWaitModeGivesUpAtItsBound(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mem, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler), Policy: Policy{
			InProgress: InProgressWait, WaitTimeout: 2 * time.Second,
		}})
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		h := asCaller(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			w.WriteHeader(http.StatusCreated)
		})))
		send := func(ctx context.Context) *httptest.ResponseRecorder {
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/orders", strings.NewReader(body1))
			r.Header.Set("Idempotency-Key", "w")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		owner := make(chan int, 1)
		go func() { owner <- send(context.Background()).Code }()
		synctest.Wait() // the owner holds the key

		began := time.Now()
		w := send(context.Background())
		if w.Code != http.StatusConflict || w.Header().Get("Retry-After") == "" {
			t.Errorf("waiter past its bound got %d Retry-After=%q, want 409 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		if waited := time.Since(began); waited != 2*time.Second {
			t.Errorf("waited %s, want the 2s WaitTimeout", waited)
		}

		ctx, cancel := context.WithCancel(context.Background())
		gone := make(chan struct{})
		go func() { send(ctx); close(gone) }()
		synctest.Wait() // the second waiter is blocked in Wait
		cancel()
		<-gone // returns without the owner finishing

		close(release)
		if code := <-owner; code != http.StatusCreated {
			t.Errorf("owner got %d, want 201", code)
		}
	})
}

// TestFinishFailureStillAnswersTheClient: when the result cannot be
// recorded the client still gets its response, and the key stays in
// progress (409) until its lease ends, never open to a second run.
func TestFinishFailureStillAnswersTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.calls.Add(1)
			e.spy.fail.Store(true) // the store goes down while the handler runs
			w.WriteHeader(http.StatusCreated)
		})
	})
	if w := e.do(request{key: "f"}); w.Code != http.StatusCreated {
		t.Fatalf("owner got %d, want its 201", w.Code)
	}
	e.spy.fail.Store(false)
	if w := e.do(request{key: "f"}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(ProblemInProgress)) {
		t.Errorf("retry got %d %s, want 409 in-progress", w.Code, w.Body)
	}
	e.clock.Advance(11 * time.Second)
	if w := e.do(request{key: "f"}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), string(ProblemAbandoned)) {
		t.Errorf("retry after the lease got %d %s, want 409 abandoned", w.Code, w.Body)
	}
	if got := e.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
	if got := testutil.ToFloat64(e.mw.metrics.storeErrors.WithLabelValues("finish")); got != 1 {
		t.Errorf("store_errors_total{operation=finish} = %v, want 1", got)
	}
}

// TestPanicBeforeWritingRecordsA500: the recorded failure names 500 when
// the handler panicked before answering.
func TestPanicBeforeWritingRecordsA500(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(e *env) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	})
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the handler's panic", p)
			}
		}()
		e.do(request{key: "p"})
	}()
	if w := e.do(request{key: "p"}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "status 500") {
		t.Errorf("retry got %d %s, want 409 naming status 500", w.Code, w.Body)
	}
}

// errReader fails mid-body, like a client that drops its upload.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestUnreadableBodyIs400WithoutStoreAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, nil)
	r := httptest.NewRequest(http.MethodPost, "/orders", errReader{})
	r.Header.Set("Idempotency-Key", "u")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	checkProblem(t, "unreadable body", w.Result().Header, w.Body.Bytes(), ProblemUnreadableBody, http.StatusBadRequest)
	if e.spy.ops.Load() != 0 || e.calls.Load() != 0 {
		t.Errorf("store ops %d, handler runs %d; want none", e.spy.ops.Load(), e.calls.Load())
	}
}
