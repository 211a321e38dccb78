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
	mw    *Middleware
	spy   *spyStore
	h     http.Handler
	calls atomic.Int64
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
	ce.h = ce.mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ce.calls.Add(1)
		w.Header().Set("X-Order", strings.Repeat("o", int(n)))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("order"))
	}))
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
		{name: "the owner's own result is replayed from the cache", steps: []check{
			replayWithOps("a", 0), replayWithOps("a", 0),
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
			replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) { time.Sleep(2 * time.Second) },
			replayWithOps("a", 1), replayWithOps("a", 0),
		}},
		{name: "entries end with the record's TTL", cfg: Config{Policy: Policy{TTL: time.Minute}, ReplayCache: ReplayCache{MaxAge: time.Hour}}, steps: []check{
			replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) {
				time.Sleep(time.Minute + time.Second)
				if w := ce.send("a", "b"); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") == "true" {
					t.Errorf("after the TTL got %d replayed=%q, want a new execution", w.Code, w.Header().Get("Idempotent-Replayed"))
				}
			},
		}},
		{name: "an operator's delete here is seen at once", steps: []check{
			replayWithOps("a", 0),
			func(t *testing.T, ce *cacheEnv) {
				k, err := ce.mw.StorageKey("default", "", "a")
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
			func(t *testing.T, ce *cacheEnv) { ce.send("b", "b"); ce.send("c", "b") },
			replayWithOps("a", 1), // a was dropped for c; the store refills it, dropping b
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
