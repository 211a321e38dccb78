package client

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestKeys checks which key each attempt carries: a fresh one made before
// the first attempt and kept on every retry, or the caller's, as is.
func TestKeys(t *testing.T) {
	t.Parallel()
	const fresh = "<fresh>" // a UUID made by the transport
	tests := []struct {
		name     string
		cfg      Config
		method   string
		header   map[string]string // set on the request as written (no canonicalisation)
		ctxKey   string
		want     string // every attempt's single key; "" for none
		attempts int
	}{
		{name: "POST without a key gets a fresh one", method: "POST", want: fresh, attempts: 3},
		{name: "PATCH without a key gets a fresh one", method: "PATCH", want: fresh, attempts: 3},
		{name: "the caller's header is kept", method: "POST", header: map[string]string{"Idempotency-Key": "order-7"}, want: "order-7", attempts: 3},
		{name: "an sf-string key is sent as is", method: "POST", header: map[string]string{"Idempotency-Key": `"order-7"`}, want: `"order-7"`, attempts: 3},
		{name: "a lower-case header name is not doubled", method: "POST", header: map[string]string{"idempotency-key": "order-7"}, want: "order-7", attempts: 3},
		{name: "WithKey", method: "POST", ctxKey: "job-42", want: "job-42", attempts: 3},
		{name: "the header beats WithKey", method: "POST", ctxKey: "job-42", header: map[string]string{"Idempotency-Key": "order-7"}, want: "order-7", attempts: 3},
		{name: "GET gets no key, and is retried without one", method: "GET", ctxKey: "job-42", want: "", attempts: 3},
		{name: "an uncovered POST gets none and is sent once", cfg: Config{Methods: []string{"PUT"}}, method: "POST", want: "", attempts: 1},
		{name: "an uncovered POST with the caller's key is retried", cfg: Config{Methods: []string{"PUT"}}, method: "POST", header: map[string]string{"Idempotency-Key": "k"}, want: "k", attempts: 3},
		{name: "a covered PUT", cfg: Config{Methods: []string{"PUT"}}, method: "PUT", want: fresh, attempts: 3},
		{name: "NewKey", cfg: Config{NewKey: func() string { return "made-here" }}, method: "POST", want: "made-here", attempts: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, problem(503, ProblemStoreUnavailable, "0"), problem(409, ProblemInProgress, "0"), replayed)
			tr := newTransport(t, f, tc.cfg)
			req, err := http.NewRequest(tc.method, "http://api.test/orders", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = []string{v}
			}
			before := req.Header.Clone()
			if tc.ctxKey != "" {
				req = req.WithContext(WithKey(context.Background(), tc.ctxKey))
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			sent := f.attempts()
			if len(sent) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(sent), tc.attempts)
			}
			first := sent[0].key
			for i, a := range sent {
				switch {
				case tc.want == "" && len(a.key) != 0:
					t.Errorf("attempt %d carries key %q, want none", i+1, a.key)
				case tc.want == "":
				case len(a.key) != 1:
					t.Errorf("attempt %d carries keys %q, want exactly one", i+1, a.key)
				case !slices.Equal(a.key, first):
					t.Errorf("attempt %d carries key %q, attempt 1 %q: want the same on every attempt", i+1, a.key, first)
				case tc.want == fresh:
					if _, err := uuid.Parse(a.key[0]); err != nil {
						t.Errorf("attempt %d key %q is not a UUID: %v", i+1, a.key[0], err)
					}
				case a.key[0] != tc.want:
					t.Errorf("attempt %d carries key %q, want %q", i+1, a.key[0], tc.want)
				}
			}
			if res := ResultOf(resp); len(first) == 1 && res.Key != first[0] {
				t.Errorf("ResultOf(resp).Key = %q, want the key sent, %q", res.Key, first[0])
			}
			if !equalHeader(req.Header, before) {
				t.Errorf("the caller's request headers changed: %v, were %v", req.Header, before)
			}
		})
	}
}

// TestFreshKeysDiffer: two logical requests get two keys.
func TestFreshKeysDiffer(t *testing.T) {
	t.Parallel()
	f := newFake(t, created)
	tr := newTransport(t, f, Config{})
	for range 2 {
		resp, err := tr.RoundTrip(newPost(t, "{}"))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if sent := f.attempts(); sent[0].key[0] == sent[1].key[0] {
		t.Errorf("two requests both sent key %q, want a fresh key each", sent[0].key[0])
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
