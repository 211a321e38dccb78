package client

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sent is one attempt as the fake server saw it.
type sent struct {
	method string
	header http.Header
	key    []string // the Idempotency-Key header's values, whatever the spelling of its name
	body   string
	at     time.Duration // since the fake server was made
	length int64
}

// answer is one scripted reply: a response, or a transport error.
type answer struct {
	status int
	header map[string]string
	body   string
	err    error
}

// fake is a scripted Base: attempt n gets answers[n-1], the last answer
// repeating. It records what each attempt sent.
type fake struct {
	t       *testing.T
	start   time.Time
	answers []answer

	mu   sync.Mutex
	sent []sent
}

func newFake(t *testing.T, answers ...answer) *fake {
	return &fake{t: t, start: time.Now(), answers: answers}
}

func (f *fake) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	n := len(f.sent)
	f.sent = append(f.sent, sent{method: r.Method, header: r.Header.Clone(), key: headerValues(r.Header, "Idempotency-Key"), body: string(body), at: time.Since(f.start), length: r.ContentLength})
	f.mu.Unlock()
	a := f.answers[min(n, len(f.answers)-1)]
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{}
	for k, v := range a.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

func (f *fake) attempts() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

// problem is an idemproxy problem+json answer.
func problem(status int, typ string, retryAfter string) answer {
	h := map[string]string{"Content-Type": "application/problem+json"}
	if retryAfter != "" {
		h["Retry-After"] = retryAfter
	}
	return answer{status: status, header: h,
		body: `{"type":"` + typ + `","title":"t","status":` + strconv.Itoa(status) + `,"detail":"d"}` + "\n"}
}

var (
	created  = answer{status: http.StatusCreated, body: `{"order_id":"o-1"}`}
	replayed = answer{status: http.StatusCreated, header: map[string]string{"Idempotent-Replayed": "true"}, body: `{"order_id":"o-1"}`}
	errReset = errors.New("read tcp: connection reset by peer")
)

// newTransport returns New(cfg) over f, failing the test on an error.
func newTransport(t *testing.T, f *fake, cfg Config) *Transport {
	t.Helper()
	cfg.Base = f
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func newPost(t *testing.T, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://api.test/orders", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// headerValues returns the values of every field named name in h, however
// the map key is spelt.
func headerValues(h http.Header, name string) []string {
	var out []string
	for k, v := range h {
		if strings.EqualFold(k, name) {
			out = append(out, v...)
		}
	}
	return out
}
