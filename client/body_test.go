package client

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closeTracker is a body without GetBody (as a pipe or a file would be),
// which records whether the transport closed it.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// TestBodyRewinding checks that every attempt sends the whole body: from
// GetBody, from a buffered copy, or — too large to buffer — once only.
func TestBodyRewinding(t *testing.T) {
	t.Parallel()
	large := strings.Repeat("x", 64)
	tests := []struct {
		name         string
		cfg          Config
		body         string
		getBody      bool // http.NewRequest's GetBody (a strings.Reader)
		wantAttempts int
		wantGaveUp   StopReason
		wantLength   int64 // every attempt's ContentLength
	}{
		{name: "GetBody", body: `{"sku":"A"}`, getBody: true, wantAttempts: 3, wantLength: 11},
		{name: "buffered", body: `{"sku":"A"}`, wantAttempts: 3, wantLength: 11},
		{name: "buffered, empty", body: "", wantAttempts: 3, wantLength: 0},
		{name: "buffered at the limit", cfg: Config{MaxBufferedBody: 64}, body: large, wantAttempts: 3, wantLength: 64},
		{name: "too large to buffer: sent once", cfg: Config{MaxBufferedBody: 63}, body: large, wantAttempts: 1, wantGaveUp: StopBodyNotRewindable, wantLength: 0},
		{name: "buffering off: sent once", cfg: Config{MaxBufferedBody: -1}, body: `{"sku":"A"}`, wantAttempts: 1, wantGaveUp: StopBodyNotRewindable, wantLength: 0},
		{name: "buffering off, GetBody still rewinds", cfg: Config{MaxBufferedBody: -1}, body: `{"sku":"A"}`, getBody: true, wantAttempts: 3, wantLength: 11},
		{name: "larger than the GetBody-less limit, with GetBody", cfg: Config{MaxBufferedBody: 8}, body: large, getBody: true, wantAttempts: 3, wantLength: 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, problem(503, ProblemStoreUnavailable, "0"), problem(503, ProblemStoreUnavailable, "0"), created)
			tr := newTransport(t, f, tc.cfg)
			req := newPost(t, tc.body)
			tracker := &closeTracker{Reader: strings.NewReader(tc.body)}
			if !tc.getBody {
				req.Body, req.GetBody, req.ContentLength = tracker, nil, 0
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if res := ResultOf(resp); res.Attempts != tc.wantAttempts || res.GaveUp != tc.wantGaveUp {
				t.Errorf("ResultOf = %+v, want %d attempts, GaveUp %q", res, tc.wantAttempts, tc.wantGaveUp)
			}
			sent := f.attempts()
			if len(sent) != tc.wantAttempts {
				t.Fatalf("the server saw %d attempts, want %d", len(sent), tc.wantAttempts)
			}
			for i, a := range sent {
				if a.body != tc.body || a.length != tc.wantLength {
					t.Errorf("attempt %d sent %q (ContentLength %d), want %q (%d)", i+1, a.body, a.length, tc.body, tc.wantLength)
				}
			}
			if !tc.getBody && !tracker.closed {
				t.Errorf("the caller's body was not closed")
			}
		})
	}
}

// TestGetBodyFailing: a retry whose body cannot be had again ends with
// that error.
func TestGetBodyFailing(t *testing.T) {
	t.Parallel()
	f := newFake(t, problem(503, ProblemStoreUnavailable, "0"), created)
	req := newPost(t, "{}")
	boom := errors.New("boom")
	req.GetBody = func() (io.ReadCloser, error) { return nil, boom }
	_, err := newTransport(t, f, Config{}).RoundTrip(req)
	if !errors.Is(err, boom) || len(f.attempts()) != 1 {
		t.Errorf("RoundTrip = %v after %d attempts, want %v after 1", err, len(f.attempts()), boom)
	}
}

// TestUnreadableBody: a body that fails while being buffered is closed and
// its error returned; nothing is sent.
func TestUnreadableBody(t *testing.T) {
	t.Parallel()
	f := newFake(t, created)
	boom := errors.New("disk on fire")
	tracker := &closeTracker{Reader: io.MultiReader(strings.NewReader("{"), errReader{boom})}
	req := newPost(t, "")
	req.Body, req.GetBody = tracker, nil
	_, err := newTransport(t, f, Config{}).RoundTrip(req)
	if !errors.Is(err, boom) || len(f.attempts()) != 0 || !tracker.closed {
		t.Errorf("RoundTrip = %v, %d attempts, closed %v; want %v, none, closed", err, len(f.attempts()), tracker.closed, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestNoBody: GET and a POST without a body are retried as they are.
func TestNoBody(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, problem(503, ProblemStoreUnavailable, "0"), created)
			req, err := http.NewRequest(method, "http://api.test/orders/1", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := newTransport(t, f, Config{}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if sent := f.attempts(); len(sent) != 2 || sent[1].body != "" {
				t.Errorf("attempts %+v, want 2 without a body", sent)
			}
		})
	}
}
