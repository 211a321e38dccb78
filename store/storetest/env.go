package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// env is one case's store and clock, with helpers that fail the case on an
// unexpected error. Helpers call t.Fatal, so they run on the test goroutine
// only.
type env struct {
	s       store.Store
	advance func(d time.Duration)
	// waitBlocked is Harness.WaitBlocked for s, or nil.
	waitBlocked func(key store.Key) <-chan struct{}
}

// request is a claim of key by owner for the request named by label, with
// the suite's lease and TTL.
func request(key store.Key, label, owner string) store.ClaimRequest {
	return store.ClaimRequest{Key: key, Fingerprint: fingerprint(label), Owner: owner, Lease: lease, TTL: ttl}
}

func (e *env) claim(t *testing.T, req store.ClaimRequest) store.ClaimResult {
	t.Helper()
	res, err := e.s.Claim(t.Context(), req)
	if err != nil {
		t.Fatalf("Claim(%v, owner %s): got error %v, want nil", req.Key, req.Owner, err)
	}
	return res
}

// claimWant claims and checks the outcome.
func (e *env) claimWant(t *testing.T, req store.ClaimRequest, want store.ClaimOutcome) store.ClaimResult {
	t.Helper()
	res := e.claim(t, req)
	if res.Outcome != want {
		t.Fatalf("Claim(%v, owner %s): got outcome %v, want %v", req.Key, req.Owner, res.Outcome, want)
	}
	return res
}

// claimed claims key for a fresh owner with request "A" and returns the
// owner and the claim's version.
func (e *env) claimed(t *testing.T, key store.Key) (owner string, version int64) {
	t.Helper()
	owner = newOwner()
	res := e.claimWant(t, request(key, "A", owner), store.Claimed)
	return owner, res.Version
}

func (e *env) finish(t *testing.T, req store.FinishRequest) {
	t.Helper()
	if err := e.s.Finish(t.Context(), req); err != nil {
		t.Fatalf("Finish(%v, owner %s, %v): got error %v, want nil", req.Key, req.Owner, req.State, err)
	}
}

// completed claims key with request "A" and finishes it COMPLETED with resp.
func (e *env) completed(t *testing.T, key store.Key, resp *store.Response) {
	t.Helper()
	owner, _ := e.claimed(t, key)
	e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: statusOf(resp), Response: resp, TTL: ttl})
}

// failed claims key with request "A" and finishes it FAILED with status.
func (e *env) failed(t *testing.T, key store.Key, status int) {
	t.Helper()
	owner, _ := e.claimed(t, key)
	e.finish(t, store.FinishRequest{Key: key, Owner: owner, State: store.Failed, Status: status, TTL: ttl})
}

func statusOf(resp *store.Response) int {
	if resp == nil {
		return http.StatusOK
	}
	return resp.Status
}

func (e *env) get(t *testing.T, key store.Key) store.Record {
	t.Helper()
	rec, err := e.s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%v): got error %v, want nil", key, err)
	}
	return rec
}

func (e *env) wantNotFound(t *testing.T, key store.Key) {
	t.Helper()
	if rec, err := e.s.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%v): got (%v state, %v), want ErrNotFound", key, rec.State, err)
	}
}

// wantUnchanged checks that the record of key is still before.
func (e *env) wantUnchanged(t *testing.T, key store.Key, before store.Record) {
	t.Helper()
	if d := diffRecord(e.get(t, key), before); d != "" {
		t.Fatalf("record of %v changed: %s", key, d)
	}
}

func wantErrIs(t *testing.T, op string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("%s: got error %v, want %v", op, got, want)
	}
}

// near reports whether got is within slack of want.
func near(got, want time.Duration) bool {
	d := got - want
	return d >= -slack && d <= slack
}

// sampleResponse is a response with multi-value headers and a body holding
// every byte value, so that any text encoding of the body shows.
func sampleResponse() *store.Response {
	body := make([]byte, 0, 512)
	for i := range 512 {
		body = append(body, byte(i))
	}
	return &store.Response{
		Status: http.StatusCreated,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Location":     {"/orders/8e03978e"},
			"Vary":         {"Accept", "Accept-Encoding", "Authorization"},
			"X-Empty":      {""},
		},
		Body: body,
	}
}

// diffResponse describes how got differs from want, or returns "". Nil and
// empty headers or bodies are the same: a backend need not tell them apart.
func diffResponse(got, want *store.Response) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("got response %v, want %v", got, want)
	case got.Status != want.Status:
		return fmt.Sprintf("got status %d, want %d", got.Status, want.Status)
	case !bytes.Equal(got.Body, want.Body):
		return fmt.Sprintf("got body %q (%d bytes), want %q (%d bytes)", clip(got.Body), len(got.Body), clip(want.Body), len(want.Body))
	case len(got.Header) != len(want.Header):
		return fmt.Sprintf("got header %v, want %v", got.Header, want.Header)
	}
	for name, vs := range want.Header {
		if g, ok := got.Header[name]; !ok || !slices.Equal(g, vs) {
			return fmt.Sprintf("got header %s = %q, want %q", name, g, vs)
		}
	}
	return ""
}

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// diffRecord describes how got differs from want, or returns "".
func diffRecord(got, want store.Record) string {
	switch {
	case got.State != want.State:
		return fmt.Sprintf("got state %v, want %v", got.State, want.State)
	case got.Fingerprint != want.Fingerprint:
		return "got another fingerprint"
	case got.Owner != want.Owner:
		return fmt.Sprintf("got owner %q, want %q", got.Owner, want.Owner)
	case got.Version != want.Version:
		return fmt.Sprintf("got version %d, want %d", got.Version, want.Version)
	case !got.LeaseUntil.Equal(want.LeaseUntil):
		return fmt.Sprintf("got lease until %v, want %v", got.LeaseUntil, want.LeaseUntil)
	case !got.ExpiresAt.Equal(want.ExpiresAt):
		return fmt.Sprintf("got expiry %v, want %v", got.ExpiresAt, want.ExpiresAt)
	case got.Status != want.Status:
		return fmt.Sprintf("got status %d, want %d", got.Status, want.Status)
	}
	if d := diffResponse(got.Response, want.Response); d != "" {
		return "response: " + d
	}
	return ""
}
