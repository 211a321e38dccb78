package storetest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

// keyCases: keys are validated by every method, scopes are isolated, and
// Ping answers.
func keyCases() []testCase {
	return []testCase{
		{"InvalidKeys", invalidKeysCase},
		{"ScopeIsolation", func(t *testing.T, e *env) {
			id := newKey().ID
			a := store.Key{Scope: newKey().Scope, ID: id}
			b := store.Key{Scope: newKey().Scope, ID: id}
			ownerA := newOwner()
			e.claimWant(t, request(a, "A", ownerA), store.Claimed)
			// Another scope, same ID, another request: its own record.
			e.claimWant(t, request(b, "B", newOwner()), store.Claimed)
			e.finish(t, store.FinishRequest{Key: a, Owner: ownerA, State: store.Completed, Status: http.StatusOK, Response: sampleResponse(), TTL: ttl})
			e.claimWant(t, request(b, "B", newOwner()), store.Busy)
			if err := e.s.Delete(t.Context(), a); err != nil {
				t.Fatalf("Delete(%v): got error %v, want nil", a, err)
			}
			if rec := e.get(t, b); rec.State != store.InProgress || rec.Fingerprint != fingerprint("B") {
				t.Errorf("Get(%v): got state %v, want IN_PROGRESS with fingerprint B", b, rec.State)
			}
		}},
		{"SwappedPartsAreDistinct", func(t *testing.T, e *env) {
			k := newKey()
			swapped := store.Key{Scope: k.ID, ID: k.Scope}
			e.claimWant(t, request(k, "A", newOwner()), store.Claimed)
			e.claimWant(t, request(swapped, "B", newOwner()), store.Claimed)
		}},
		{"Ping", func(t *testing.T, e *env) {
			if err := e.s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: got error %v, want nil", err)
			}
		}},
	}
}

// invalidKeysCase: every method that takes a key refuses an invalid one with
// ErrInvalidKey, and a refused Claim stores nothing.
func invalidKeysCase(t *testing.T, e *env) {
	good := newKey()
	keys := []struct {
		name string
		key  store.Key
	}{
		{"EmptyScope", store.Key{ID: good.ID}},
		{"EmptyID", store.Key{Scope: good.Scope}},
		{"BothEmpty", store.Key{}},
		{"BraceInScope", store.Key{Scope: "{" + good.Scope, ID: good.ID}},
		{"BraceInID", store.Key{Scope: good.Scope, ID: good.ID + "}"}},
		{"ColonInID", store.Key{Scope: good.Scope, ID: "a:" + good.ID}},
		{"SpaceInScope", store.Key{Scope: "a " + good.Scope, ID: good.ID}},
		{"NonASCII", store.Key{Scope: good.Scope, ID: "é" + good.ID}},
		{"TooLong", store.Key{Scope: good.Scope, ID: strings.Repeat("a", 129)}},
	}
	owner := newOwner()
	methods := []struct {
		name string
		call func(ctx context.Context, s store.Store, key store.Key) error
	}{
		{"Claim", func(ctx context.Context, s store.Store, key store.Key) error {
			_, err := s.Claim(ctx, request(key, "A", owner))
			return err
		}},
		{"Renew", func(ctx context.Context, s store.Store, key store.Key) error {
			return s.Renew(ctx, key, owner, lease)
		}},
		{"Finish", func(ctx context.Context, s store.Store, key store.Key) error {
			return s.Finish(ctx, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: http.StatusOK, TTL: ttl})
		}},
		{"Release", func(ctx context.Context, s store.Store, key store.Key) error {
			return s.Release(ctx, key, owner)
		}},
		{"Get", func(ctx context.Context, s store.Store, key store.Key) error {
			_, err := s.Get(ctx, key)
			return err
		}},
		{"Delete", func(ctx context.Context, s store.Store, key store.Key) error {
			return s.Delete(ctx, key)
		}},
		{"Wait", func(ctx context.Context, s store.Store, key store.Key) error {
			return s.Wait(ctx, key)
		}},
	}
	for _, k := range keys {
		for _, m := range methods {
			if err := m.call(t.Context(), e.s, k.key); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("%s(%s): got error %v, want ErrInvalidKey", m.name, k.name, err)
			}
		}
	}
	// The valid parts of those keys were never claimed.
	e.wantNotFound(t, good)
}
