package chaos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawPost sends POST /orders with the header block written byte for byte
// (headers: whole lines, each ending in CRLF), so a test can send what
// net/http's client would refuse to: control characters, repeated lines.
func rawPost(t *testing.T, base, headers, body string) response {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s", len(body), headers, body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		if m := regexp.MustCompile(`"type":"([^"]+)"`).FindStringSubmatch(r.body); m != nil {
			r.problem = m[1]
		}
	}
	return r
}

// recordKey is the shape of every record key the store may write: the
// prefix, then one hash tag of two hashes — no brace or colon of the
// client's can reach it.
var recordKey = regexp.MustCompile(`^idem:\{[0-9A-Za-z_-]{1,128}:[0-9A-Za-z_-]{1,128}\}$`)

// TestMalformedKeys is matrix row 10: keys that are not 1-255 visible ASCII
// characters on exactly one field line are refused with 400 before anything
// is stored or run; keys full of braces, colons and quotes are ordinary keys,
// hashed before they become Redis keys, so none moves a record's hash tag.
func TestMalformedKeys(t *testing.T) {
	t.Parallel()
	rs := ownRedis(t)
	oa := startOrderapp(t)
	p := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr())})
	body := order(unique("cust"), "tok_visa", 1)
	long := strings.Repeat("k", 255)

	invalid := []struct{ name, lines string }{
		{"empty", "Idempotency-Key: \r\n"},
		{"empty sf-string", "Idempotency-Key: \"\"\r\n"},
		{"256 characters", "Idempotency-Key: " + long + "x\r\n"},
		{"256 characters quoted", "Idempotency-Key: \"" + long + "x\"\r\n"},
		{"control character", "Idempotency-Key: ab\x01cd\r\n"},
		{"NUL", "Idempotency-Key: ab\x00cd\r\n"},
		{"DEL", "Idempotency-Key: ab\x7fcd\r\n"},
		{"tab inside", "Idempotency-Key: ab\tcd\r\n"},
		{"space inside", "Idempotency-Key: ab cd\r\n"},
		{"non-ASCII", "Idempotency-Key: cl\xc3\xa9\r\n"},
		{"two field lines", "Idempotency-Key: one\r\nIdempotency-Key: two\r\n"},
		{"two field lines, same value", "Idempotency-Key: same\r\nidempotency-key: same\r\n"},
		{"sf-string with a parameter", "Idempotency-Key: \"abc\";a=1\r\n"},
		{"unterminated sf-string", "Idempotency-Key: \"abc\r\n"},
		{"bad escape in sf-string", "Idempotency-Key: \"a\\qb\"\r\n"},
	}
	refused := map[int]int{}
	for _, tc := range invalid {
		r := rawPost(t, p.url, tc.lines, body)
		refused[r.status]++
		// Control characters are refused by net/http itself (plain 400);
		// everything that reaches the middleware gets the problem type.
		if r.status != http.StatusBadRequest || (r.problem != "" && r.problem != problemInvalidKey) {
			t.Errorf("%s: %v, want 400 invalid-key", tc.name, r)
		}
	}
	if c := oa.charges(t); c != 0 {
		t.Fatalf("orderapp charges after %d malformed keys = %v, want 0", len(invalid), c)
	}
	keys, err := rs.Client(t).Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("Redis keys after malformed keys only: %q, want none", keys)
	}

	valid := []struct{ name, lines string }{
		{"255 characters", "Idempotency-Key: " + long + "\r\n"},
		{"hash tag", "Idempotency-Key: {tag}\r\n"},
		{"hash tag, another key", "Idempotency-Key: {tag}x\r\n"},
		{"closing brace first", "Idempotency-Key: }{\r\n"},
		{"lone brace", "Idempotency-Key: {\r\n"},
		{"colons", "Idempotency-Key: a:b:c\r\n"},
		{"a record key", "Idempotency-Key: idem:{x}:y\r\n"},
		{"sf-string with escapes", "Idempotency-Key: \"a\\\"b\\\\c{d}\"\r\n"},
		{"every visible character", "Idempotency-Key: !#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~\r\n"},
		{"sf-string with a space", "Idempotency-Key: \"sp ace\"\r\n"},
	}
	var firsts []response
	for _, tc := range valid {
		r := rawPost(t, p.url, tc.lines, body)
		if r.status != http.StatusCreated || r.replayed() {
			t.Errorf("%s: %v, want 201 executed", tc.name, r)
		}
		firsts = append(firsts, r)
	}
	// Bare and sf-string spell the same key.
	if r := rawPost(t, p.url, "Idempotency-Key: \"{tag}\"\r\n", body); !r.replayed() || !sameResponse(firsts[1], r) {
		t.Errorf(`"{tag}" after {tag}: %v, want the replay of {tag}'s response`, r)
	}
	charges := oa.charges(t)
	if charges != float64(len(valid)) {
		t.Errorf("orderapp charges = %v, want %d (one per distinct valid key)", charges, len(valid))
	}
	keys, err = rs.Client(t).Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !recordKey.MatchString(k) {
			t.Errorf("Redis key %q: want idem:{<hash>:<hash>} (one hash tag, hashes only)", k)
		}
	}
	if len(keys) != len(valid) {
		t.Errorf("%d Redis keys, want %d (one per distinct valid key)", len(keys), len(valid))
	}
	observed(t, "%d malformed keys: %v, charges 0, 0 Redis keys; %d keys with braces/colons/quotes/spaces/255 chars: all 201, %d Redis keys all idem:{hash:hash}; charges %v",
		len(invalid), refused, len(valid), len(keys), charges)
}
