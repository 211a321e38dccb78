package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// A memory store that can forget nothing (its one record IN_PROGRESS)
// refuses a new key: fail closed answers 503 with its own problem type,
// store-full, and Retry-After, without calling the handler; fail open
// passes the request through. A full store holding a finished record
// forgets it and takes the new key.
func TestStoreFull(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failMode   FailMode
		finished   bool // the record that fills the store is COMPLETED
		wantStatus int
		wantType   ProblemType
		wantCalls  int64
		wantOut    Outcome
	}{
		{name: "in progress, fail closed", wantStatus: 503, wantType: ProblemStoreFull, wantOut: OutcomeStoreError},
		{name: "in progress, fail open", failMode: FailOpen, wantStatus: 201, wantCalls: 1, wantOut: OutcomeStoreError},
		{name: "finished, evicted", finished: true, wantStatus: 201, wantCalls: 1, wantOut: OutcomeExecuted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mem, err := memstore.New(memstore.Config{MaxRecords: 1})
			if err != nil {
				t.Fatal(err)
			}
			fill := store.Key{Scope: "other", ID: "other"}
			if _, err := mem.Claim(context.Background(), store.ClaimRequest{Key: fill, Owner: "o", Lease: time.Minute, TTL: time.Hour}); err != nil {
				t.Fatal(err)
			}
			if tc.finished {
				if err := mem.Finish(context.Background(), store.FinishRequest{Key: fill, Owner: "o", State: store.Completed, Status: 201, TTL: time.Hour}); err != nil {
					t.Fatal(err)
				}
			}
			mw, err := New(mem, Config{Policy: Policy{FailMode: tc.failMode}, Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int64
			h := asCaller(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				w.WriteHeader(http.StatusCreated)
			})))
			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body1))
			r.Header.Set("Idempotency-Key", "k1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tc.wantStatus {
				t.Fatalf("status: got %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantType != "" {
				checkProblem(t, tc.name, w.Result().Header, w.Body.Bytes(), tc.wantType, tc.wantStatus)
				if got := w.Header().Get("Retry-After"); got != "1" {
					t.Errorf("Retry-After: got %q, want 1", got)
				}
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("handler ran %d times, want %d", got, tc.wantCalls)
			}
			if got := testutil.ToFloat64(mw.metrics.requests.WithLabelValues("default", string(tc.wantOut))); got != 1 {
				t.Errorf("requests_total{outcome=%s}: got %v, want 1", tc.wantOut, got)
			}
		})
	}
}
