// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a Harness that makes fresh stores:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{New: newTestStore})
//	}
//
// The suite is backend-neutral: it talks to the store only through the
// store.Store interface, it moves time only through the Harness's advance
// function (so leases and TTLs are tested without sleeping), and it uses
// fresh random keys in every case, so cases run in parallel and a networked
// backend may share one server between them.
//
// Times a backend returns are compared with a tolerance (see slack), because
// a networked store may round them and its clock keeps running while the
// suite works; durations the suite advances by are far larger than that.
package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Harness describes a backend to the suite.
type Harness struct {
	// New returns a fresh store whose records do not collide with those of any
	// other call to New (the suite also uses unique keys), and a function that
	// moves that store's clock — the one its leases and TTLs are measured
	// against — forward by d.
	New func(t *testing.T) (s store.Store, advance func(d time.Duration))

	// WaitBlocked is optional. It returns a channel that receives a value
	// each time a Wait call on key in s (a store New returned) blocks: it
	// found the record IN_PROGRESS and is set to be woken by the
	// notification of its end, so that from then on only that notification
	// (or its context) can make it return. The suite calls it before it
	// starts the Wait calls it watches, and waits for them to block before
	// it ends the claim, which proves the notification path. Nil: the suite
	// cannot tell when a waiter blocks, so a Wait that starts after the
	// claim ended (and returns because the record is no longer IN_PROGRESS)
	// passes the Wait cases as well.
	WaitBlocked func(t *testing.T, s store.Store, key store.Key) <-chan struct{}
}

// Run runs every conformance case as a parallel subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s, advance := h.New(t)
					e := &env{s: s, advance: advance}
					if h.WaitBlocked != nil {
						e.waitBlocked = func(key store.Key) <-chan struct{} { return h.WaitBlocked(t, s, key) }
					}
					c.run(t, e)
				})
			}
		})
	}
}

// testCase is one conformance case; it gets a fresh store of its own.
type testCase struct {
	name string
	run  func(t *testing.T, e *env)
}

type group struct {
	name  string
	cases []testCase
}

func groups() []group {
	return []group{
		{"Claim", claimCases()},
		{"Mismatch", mismatchCases()},
		{"Lease", leaseCases()},
		{"Fencing", fencingCases()},
		{"TTL", ttlCases()},
		{"Records", recordCases()},
		{"Keys", keyCases()},
		{"Wait", waitCases()},
		{"Concurrency", concurrencyCases()},
	}
}

// Durations the cases use. lease is far shorter than ttl, as in production,
// and both are far longer than slack, so rounding by a backend never flips
// an outcome.
const (
	lease = 10 * time.Second
	ttl   = time.Hour
	// slack is the tolerance on times and durations a backend reports: a
	// networked backend may round to milliseconds and its clock runs on
	// while the suite works (under -race, on a loaded machine).
	slack = time.Second
	// past is how far the suite advances beyond a deadline to cross it.
	past = 2 * slack
)

// newKey returns a key no other case uses. rand.Text is base32
// ([A-Z2-7]), inside the Key alphabet.
func newKey() store.Key {
	return store.Key{Scope: rand.Text(), ID: rand.Text()}
}

// newOwner returns a fresh owner token, as the middleware makes one per
// attempt.
func newOwner() string { return "owner-" + rand.Text() }

// fingerprint names a request by a label, so that cases read "request A" vs
// "request B".
func fingerprint(label string) store.Fingerprint { return sha256.Sum256([]byte(label)) }
