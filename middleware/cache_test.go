package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idemproxy/idemproxy/store/memstore"
)

// cacheEnv is a middleware over a memory store on synctest's clock, with a
// spy counting store operations.
type cacheEnv struct {
	mw     *Middleware
	spy    *spyStore
	h      http.Handler
	calls  atomic.Int64
	status atomic.Int64 // the handler's status when set, else 201
}

func newCacheEnv(t *testing.T, cfg Config) *cacheEnv {
	t.Helper()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ce := &cacheEnv{spy: &spyStore{Store: mem}}
	cfg.Logger = slog.New(slog.DiscardHandler)
	if ce.mw, err = New(ce.spy, cfg); err != nil {
		t.Fatal(err)
	}
	ce.h = asCaller(ce.mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ce.calls.Add(1)
		w.Header().Set("X-Order", strings.Repeat("o", int(n)))
		status := int(ce.status.Load())
		if status == 0 {
			status = http.StatusCreated
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("order"))
	})))
	return ce
}

func (ce *cacheEnv) send(key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Idempotency-Key", key)
	w := httptest.NewRecorder()
	ce.h.ServeHTTP(w, r)
	return w
}

// TestReplayCache: replays this replica has seen are served without a
// store round trip, but never for another request (422 still), never past
// the record's TTL or MaxAge, and never after an operator's delete here.
func TestReplayCache(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, ce *cacheEnv)
	replayWithOps := func(key string, wantOps int64) check {
		return func(t *testing.T, ce *cacheEnv) {
			t.Helper()
			before := ce.spy.ops.Load()
			w := ce.send(key, "b")
			if w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "true" || w.Body.String() != "order" {
				t.Fatalf("%s: got %d replayed=%q %q, want the replay", key, w.Code, w.Header().Get("Idempotent-Replayed"), w.Body)
			}
			if got := ce.spy.ops.Load() - before; got != wantOps {
				t.Errorf("%s: the replay made %d store operations, want %d", key, got, wantOps)
			}
		}
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []check
	}{
		{name: "the first replay fills the cache, the next ones are served from it", steps: []check{
			replayWithOps("a", 1), replayWithOps("a", 0), replayWithOps("a", 0),
		}},
		{name: "a key this replica sees claimed anew drops its cached copy", steps: []check{
			replayWithOps("a", 1), // cached
			func(t *testing.T, ce *cacheEnv) {
				// Deleted elsewhere (not through this replica's Forget),
				// then claimed here by another request that is released.
				k, err := ce.mw.StorageKey("default", "Bearer test-caller", "a")
				if err != nil {
					t.Fatal(err)
				}
				if err := ce.spy.Store.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
				ce.status.Store(http.StatusTooManyRequests) // released: nothing recorded
				if w := ce.send("a", "another body"); w.Code != http.StatusTooManyRequests {
					t.Fatalf("the other request got %d, want its 429", w.Code)
				}
				ce.status.Store(0)
				if w := ce.send("a", "b"); w.Header().Get("Idempotent-Replayed") == "true" {
					t.Error("a copy of a record the store no longer holds was replayed")
				}
			},
		}},
		{name: "a different request still reaches the store and gets 422", steps: []check{
			func(t *testing.T, ce *cacheEnv) {
				if w := ce.send("a", "another body"); w.Code != http.StatusUnprocessableEntity {
					t.Errorf("changed body got %d, want 422", w.Code)
				}
			},
		}},
		{name: "disabled, every replay is a round trip", cfg: Config{ReplayCache: ReplayCache{MaxEntries: -1}}, steps: []check{
			replayWithOps("a", 1), replayWithOps("a", 1),
		}},
		{name: "entries end at MaxAge; the store then serves and refills", cfg: Config{ReplayCache: ReplayCache{MaxAge: time.Second}}, steps: []check{
			replayWithOps("a", 1), replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) { time.Sleep(2 * time.Second) },
			replayWithOps("a", 1), replayWithOps("a", 0),
		}},
		{name: "entries end with the record's TTL", cfg: Config{Policy: Policy{TTL: time.Minute}, ReplayCache: ReplayCache{MaxAge: time.Hour}}, steps: []check{
			replayWithOps("a", 1), replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) {
				time.Sleep(time.Minute + time.Second)
				if w := ce.send("a", "b"); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") == "true" {
					t.Errorf("after the TTL got %d replayed=%q, want a new execution", w.Code, w.Header().Get("Idempotent-Replayed"))
				}
			},
		}},
		{name: "an operator's delete here is seen at once", steps: []check{
			replayWithOps("a", 1), replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) {
				k, err := ce.mw.StorageKey("default", "Bearer test-caller", "a")
				if err != nil {
					t.Fatal(err)
				}
				if err := ce.spy.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
				ce.mw.Forget(k)
				if w := ce.send("a", "b"); w.Header().Get("Idempotent-Replayed") == "true" {
					t.Error("a deleted record was replayed from the cache")
				}
			},
		}},
		{name: "bounded in entries: the least recent is dropped", cfg: Config{ReplayCache: ReplayCache{MaxEntries: 2}}, steps: []check{
			replayWithOps("a", 1), // cached: a
			func(t *testing.T, ce *cacheEnv) { ce.send("b", "b"); ce.send("c", "b") },
			replayWithOps("b", 1), replayWithOps("c", 1), // cached: b, c (a dropped)
			replayWithOps("a", 1), // a was dropped; the store refills it, dropping b
			replayWithOps("c", 0), replayWithOps("b", 1),
		}},
		{name: "bounded in bytes: a response over a sixteenth is not kept", cfg: Config{ReplayCache: ReplayCache{MaxBytes: 16 * 8}}, steps: []check{
			replayWithOps("a", 1),
		}},
		{name: "a later layer writing into a replayed header does not change the cache", steps: []check{
			func(t *testing.T, ce *cacheEnv) {
				for range 3 {
					w := httptest.NewRecorder()
					r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("b"))
					r.Header.Set("Idempotency-Key", "a")
					ce.h.ServeHTTP(w, r)
					if got := w.Header().Values("X-Order"); len(got) != 1 || got[0] != "o" {
						t.Fatalf("replayed X-Order = %q, want [o]", got)
					}
					// After the fact, as a careless outer layer might: in place,
					// then by append.
					w.Header()["X-Order"][0] = "overwritten"
					w.Header().Add("X-Order", "appended")
				}
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ce := newCacheEnv(t, tc.cfg)
				if w := ce.send("a", "b"); w.Code != http.StatusCreated {
					t.Fatalf("first request got %d, want 201", w.Code)
				}
				for _, step := range tc.steps {
					step(t, ce)
				}
			})
		})
	}
}

// TestReplayCacheNeverHoldsWhatTheStoreRefused: a store that keeps a
// completed record without its response (past its own size bound) makes
// retries 409 not-replayable, on this replica too: the cache is filled
// only from the store's replays, never from the owner's own copy.
func TestReplayCacheNeverHoldsWhatTheStoreRefused(t *testing.T) {
	t.Parallel()
	mem, err := memstore.New(memstore.Config{MaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := New(mem, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := asCaller(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("a body larger than the store keeps"))
	})))
	for i, want := range []int{http.StatusCreated, http.StatusConflict, http.StatusConflict} {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("b"))
		r.Header.Set("Idempotency-Key", "big")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("request %d got %d %s, want %d", i+1, w.Code, w.Body, want)
		}
	}
}
