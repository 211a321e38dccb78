package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// request is what the fake API saw.
type request struct {
	method, path, key, body string
}

// api is a fake idemproxy whose answer to the n-th request (from 1) is
// scripted.
type api struct {
	*httptest.Server
	mu   sync.Mutex
	seen []request
}

func newAPI(t *testing.T, answer func(w http.ResponseWriter, n int)) *api {
	a := &api{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, request{r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"), string(body)})
		n := len(a.seen)
		a.mu.Unlock()
		answer(w, n)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *api) requests() []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]request(nil), a.seen...)
}

const receipt = `{"order_id":"6f1c","customer_id":"c-1","total":"25.00"}` + "\n"

func created(w http.ResponseWriter, _ int) {
	w.Header().Set("Location", "/orders/6f1c")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, receipt)
}

func replay(w http.ResponseWriter, n int) {
	w.Header().Set("Idempotent-Replayed", "true")
	created(w, n)
}

func problemAnswer(status int, name, title, detail, retryAfter string) func(http.ResponseWriter, int) {
	return func(w http.ResponseWriter, _ int) {
		w.Header().Set("Content-Type", "application/problem+json")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"https://github.com/idemproxy/idemproxy#problem-%s","title":%q,"status":%d,"detail":%q}`, name, title, status, detail)
	}
}

func seedError(status int, typ, msg string) func(http.ResponseWriter, int) {
	return func(w http.ResponseWriter, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":%q,"message":%q}`, typ, msg)
	}
}

const orderJSON = `{"customer_id":"c-1","payment_token":"tok_visa","lines":[{"sku":"SKU-1","quantity":2,"unit_price":"12.50"}]}`

// sentBody is orderJSON as orderctl sends it.
const sentBody = `{"customer_id":"c-1","lines":[{"sku":"SKU-1","quantity":2,"unit_price":"12.50"}],"payment_token":"tok_visa"}`

// TestRun runs orderctl's commands against a fake API: what is sent, what
// is printed, and the exit status of each outcome.
func TestRun(t *testing.T) {
	t.Parallel()
	withKey := `{"idempotency_key":"file-key",` + orderJSON[1:]
	tests := []struct {
		name       string
		answer     func(http.ResponseWriter, int)
		args       []string // "URL" is replaced by the API's URL
		stdin      string
		file       string // written to a temporary order.json, named by "FILE" in args
		wantCode   int
		wantStdout string
		wantStderr []string // substrings
		wantKey    string   // of every request; "fresh": a UUID
		wantSent   int      // requests the API saw
	}{
		{name: "key from the file, stripped from the body", answer: created, file: withKey, args: []string{"place", "-f", "FILE", "-url", "URL"},
			wantCode: exitOK, wantStdout: receipt, wantStderr: []string{"placed: a new order (key file-key, 1 attempt)"}, wantKey: "file-key", wantSent: 1},
		{name: "key from -key beats the file's", answer: created, stdin: withKey, args: []string{"place", "-key", "flag-key", "-url", "URL"},
			wantCode: exitOK, wantStdout: receipt, wantStderr: []string{"-key flag-key replaces the order's idempotency_key file-key"}, wantKey: "flag-key", wantSent: 1},
		{name: "a fresh key, printed with the command that repeats the order", answer: created, file: orderJSON, args: []string{"place", "-f", "FILE", "-url", "URL"},
			wantCode: exitOK, wantStdout: receipt, wantStderr: []string{"no idempotency key given; this order's key is ", "to repeat it safely (it is placed at most once): orderctl place -f "}, wantKey: "fresh", wantSent: 1},
		{name: "flags after the order's place", answer: created, stdin: orderJSON, args: []string{"place", "-url", "URL", "-key", "k"},
			wantCode: exitOK, wantStdout: receipt, wantKey: "k", wantSent: 1},
		{name: "a replay", answer: replay, stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			wantCode: exitOK, wantStdout: receipt, wantStderr: []string{"replayed: this order was already placed with key k"}, wantKey: "k", wantSent: 1},
		{name: "503s retried with the same key until the receipt", stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			answer: func(w http.ResponseWriter, n int) {
				if n < 3 {
					problemAnswer(503, "store-unavailable", "Idempotency store unavailable", "Retry with the same key.", "0")(w, n)
					return
				}
				created(w, n)
			},
			wantCode: exitOK, wantStdout: receipt, wantStderr: []string{"attempt 1: 503 Idempotency store unavailable: Retry with the same key. (store-unavailable); retrying in 0s with the same key", "3 attempts"}, wantKey: "k", wantSent: 3},
		{name: "402 declined: refused, not retried", answer: seedError(402, "PaymentDeclined", "payment declined for token tok_decline"), stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			wantCode: exitRefused, wantStderr: []string{"refused: 402 PaymentDeclined: payment declined for token tok_decline", "use a new key"}, wantKey: "k", wantSent: 1},
		{name: "409 previously-failed: refused, not retried", answer: problemAnswer(409, "previously-failed", "Earlier request failed", "The request with this idempotency key failed with status 402. Use a new key to try again.", ""),
			stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			wantCode: exitRefused, wantStderr: []string{"refused: 409 Earlier request failed: The request with this idempotency key failed with status 402. Use a new key to try again. (previously-failed)"}, wantKey: "k", wantSent: 1},
		{name: "422 key-reused: refused", answer: problemAnswer(422, "key-reused", "Idempotency key reused", "Use a new key.", ""), stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			wantCode: exitRefused, wantStderr: []string{"refused: 422 Idempotency key reused"}, wantKey: "k", wantSent: 1},
		{name: "gave up: 503 until -attempts", answer: problemAnswer(503, "store-unavailable", "Idempotency store unavailable", "d", "0"), stdin: orderJSON, args: []string{"place", "-key", "k", "-attempts", "2", "-url", "URL"},
			wantCode: exitGaveUp, wantStderr: []string{"gave up after 2 attempts (max_attempts): the last answer was 503 Idempotency store unavailable", "repeating it with the same key is safe: orderctl place -f - -key k -url"}, wantKey: "k", wantSent: 2},
		{name: "gave up: -timeout shorter than Retry-After", answer: problemAnswer(409, "in-progress", "Request in progress", "d", "5"), stdin: orderJSON, args: []string{"place", "-key", "k", "-timeout", "1s", "-url", "URL"},
			wantCode: exitGaveUp, wantStderr: []string{"gave up after 1 attempt (deadline)"}, wantKey: "k", wantSent: 1},
		{name: "504 upstream-timeout: failed", answer: problemAnswer(504, "upstream-timeout", "Upstream timeout", "Check, then use a new idempotency key.", ""), stdin: orderJSON, args: []string{"place", "-key", "k", "-url", "URL"},
			wantCode: exitFailed, wantStderr: []string{"failed: 504 Upstream timeout: Check, then use a new idempotency key."}, wantKey: "k", wantSent: 1},
		{name: "get", answer: func(w http.ResponseWriter, _ int) { io.WriteString(w, `{"order_id":"6f1c"}`) }, args: []string{"get", "-url", "URL", "6f1c"},
			wantCode: exitOK, wantStdout: `{"order_id":"6f1c"}` + "\n", wantSent: 1},
		{name: "get, flags after the ID", answer: func(w http.ResponseWriter, _ int) { io.WriteString(w, "{}\n") }, args: []string{"get", "6f1c", "-url", "URL"},
			wantCode: exitOK, wantStdout: "{}\n", wantSent: 1},
		{name: "get 404", answer: seedError(404, "OrderNotFound", "order 6f1c not found"), args: []string{"get", "-url", "URL", "6f1c"},
			wantCode: exitRefused, wantStderr: []string{"refused: 404 OrderNotFound: order 6f1c not found"}, wantSent: 1},
		{name: "help", args: []string{"-h"}, wantCode: exitOK, wantStderr: []string{"Exit status:", "4  gave up retrying"}},
		{name: "place help", args: []string{"place", "-h"}, wantCode: exitOK, wantStderr: []string{"Flags of orderctl place:", "-attempts", "-key"}},
		{name: "no command", args: nil, wantCode: exitUsage, wantStderr: []string{"Usage:"}},
		{name: "unknown command", args: []string{"cancel"}, wantCode: exitUsage, wantStderr: []string{`unknown command "cancel"`}},
		{name: "unknown flag", args: []string{"place", "-force"}, wantCode: exitUsage, wantStderr: []string{"flag provided but not defined: -force"}},
		{name: "-attempts 0", stdin: orderJSON, args: []string{"place", "-attempts", "0"}, wantCode: exitUsage, wantStderr: []string{"-attempts 0"}},
		{name: "-timeout 0", stdin: orderJSON, args: []string{"place", "-timeout", "0s"}, wantCode: exitUsage, wantStderr: []string{"-timeout 0s"}},
		{name: "bad -url", stdin: orderJSON, args: []string{"place", "-url", "localhost:8080"}, wantCode: exitUsage, wantStderr: []string{`-url "localhost:8080"`}},
		{name: "an order that is not JSON", stdin: "customer=c-1", args: []string{"place"}, wantCode: exitUsage, wantStderr: []string{"the order on stdin: not a JSON object"}},
		{name: "a missing file", args: []string{"place", "-f", "/nonexistent/order.json"}, wantCode: exitUsage, wantStderr: []string{"reading the order"}},
		{name: "place takes no arguments", stdin: orderJSON, args: []string{"place", "order.json"}, wantCode: exitUsage, wantStderr: []string{"unexpected arguments"}},
		{name: "get without an ID", args: []string{"get"}, wantCode: exitUsage, wantStderr: []string{"want one order ID"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var a *api
			if tc.answer != nil {
				a = newAPI(t, tc.answer)
			}
			args := make([]string, len(tc.args))
			for i, arg := range tc.args {
				switch {
				case arg == "URL":
					arg = a.URL
				case arg == "FILE":
					arg = filepath.Join(t.TempDir(), "order.json")
					if err := os.WriteFile(arg, []byte(tc.file), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				args[i] = arg
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, strings.NewReader(tc.stdin), &stdout, &stderr)
			if code != tc.wantCode || stdout.String() != tc.wantStdout {
				t.Errorf("orderctl %q = exit %d, stdout %q; want %d, %q\nstderr:\n%s", args, code, stdout.String(), tc.wantCode, tc.wantStdout, stderr.String())
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr:\n%s\nwant %q", stderr.String(), w)
				}
			}
			if a == nil {
				return
			}
			seen := a.requests()
			if len(seen) != tc.wantSent {
				t.Errorf("the API saw %d requests, want %d", len(seen), tc.wantSent)
			}
			for i, r := range seen {
				switch {
				case tc.wantKey == "fresh":
					if _, err := uuid.Parse(r.key); err != nil || r.key != seen[0].key || !strings.Contains(stderr.String(), "-key "+r.key) {
						t.Errorf("request %d key %q: want one fresh UUID, the one stderr names", i+1, r.key)
					}
				case r.key != tc.wantKey:
					t.Errorf("request %d key %q, want %q", i+1, r.key, tc.wantKey)
				}
				if r.method == http.MethodPost && (r.path != "/orders" || r.body != sentBody) {
					t.Errorf("request %d: POST %s %s, want POST /orders %s", i+1, r.path, r.body, sentBody)
				}
				if r.method == http.MethodGet && r.path != "/orders/6f1c" {
					t.Errorf("request %d: GET %s, want /orders/6f1c", i+1, r.path)
				}
			}
		})
	}
}

// TestUnreachableServerGivesUp: nothing listens, so every attempt fails
// to connect; orderctl says it gave up (exit 4), not that it failed.
func TestUnreachableServerGivesUp(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"place", "-key", "k", "-attempts", "2", "-url", url}, strings.NewReader(orderJSON), &stdout, &stderr)
	if code != exitGaveUp || !regexp.MustCompile(`gave up after 2 attempts \(max_attempts\): .*connection refused`).MatchString(stderr.String()) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d, gave up after 2 attempts", code, stderr.String(), exitGaveUp)
	}
}
