package middleware

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store/memstore"
)

// benchHandler is the cheapest handler: the numbers are the middleware's
// own in-process overhead over the memory store.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"order_id":"0b7e4c1e-8f3e-4b6c-9a59-0c1d2e3f4a5b","total":"12.50"}`))
})

// discard is a ResponseWriter that keeps nothing, so the benchmark does
// not measure httptest.ResponseRecorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func benchMiddleware(b *testing.B) http.Handler {
	mem, err := memstore.New(memstore.Config{MaxRecords: 10_000_000})
	if err != nil {
		b.Fatal(err)
	}
	mw, err := New(mem, Config{})
	if err != nil {
		b.Fatal(err)
	}
	return mw.Handler(benchHandler)
}

func benchRequest(key string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body1))
	r.Header.Set("Authorization", "Bearer bench")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	r.Header.Set("Authorization", "Bearer token-of-alice")
	return r
}

func serveBench(b *testing.B, h http.Handler, key func(i int) string) {
	b.ReportAllocs()
	w := &discard{h: http.Header{}}
	for i := 0; b.Loop(); i++ {
		clear(w.h)
		h.ServeHTTP(w, benchRequest(key(i)))
	}
}

// BenchmarkBaseline is the handler alone, the reference for the others.
func BenchmarkBaseline(b *testing.B) {
	serveBench(b, benchHandler, func(int) string { return "" })
}

// BenchmarkFirstRequest: a new key every time: claim, run, finish.
func BenchmarkFirstRequest(b *testing.B) {
	serveBench(b, benchMiddleware(b), strconv.Itoa)
}

// BenchmarkReplay: the same key every time: claim answers the stored
// response.
func BenchmarkReplay(b *testing.B) {
	serveBench(b, benchMiddleware(b), func(int) string { return "same-key" })
}

// BenchmarkPassThrough: a covered route without a key: no store access.
func BenchmarkPassThrough(b *testing.B) {
	serveBench(b, benchMiddleware(b), func(int) string { return "" })
}

func BenchmarkParseKey(b *testing.B) {
	b.ReportAllocs()
	lines := []string{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`}
	for b.Loop() {
		if _, err := parseKey(lines); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	b.ReportAllocs()
	r := benchRequest("k")
	body := []byte(body1)
	for b.Loop() {
		fingerprint(r, "/orders", nil, body, nil)
	}
}

// BenchmarkFirstRequest1MiB: a 1 MiB request answered by a 1 MiB
// response, both with a Content-Length, both at the routes' limits: the
// body is read and the response captured once each, without a doubling
// series of buffers (compare B/op).
func BenchmarkFirstRequest1MiB(b *testing.B) {
	const size = 1 << 20
	payload := strings.Repeat("x", size)
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusCreated)
		for i := 0; i < size; i += 32 << 10 { // as ReverseProxy copies
			_, _ = w.Write([]byte(payload[i : i+32<<10]))
		}
	})
	mem, err := memstore.New(memstore.Config{MaxRecords: 1000})
	if err != nil {
		b.Fatal(err)
	}
	mw, err := New(mem, Config{Routes: []Route{{Name: "blob", Path: "/blob", Policy: Policy{Key: KeyOptional, Body: BodyRaw}}}})
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Handler(big)
	b.ReportAllocs()
	b.SetBytes(2 * size)
	w := &discard{h: http.Header{}}
	for i := 0; b.Loop(); i++ {
		clear(w.h)
		r := httptest.NewRequest(http.MethodPost, "/blob", strings.NewReader(payload))
		r.Header.Set("Authorization", "Bearer token-of-alice")
		r.Header.Set("Idempotency-Key", strconv.Itoa(i))
		h.ServeHTTP(w, r)
	}
}
