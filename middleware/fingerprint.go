package middleware

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"net/http"

	"github.com/idemproxy/idemproxy/store"
)

// decodeJSON decodes body with numbers kept as written; nil when the body is
// not one JSON value.
func decodeJSON(body []byte) any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil // trailing data: not one JSON value
	}
	return doc
}

// fingerprint hashes what makes two requests "the same request": method,
// escaped path, raw query, the selected headers and the body. Each field is
// length-prefixed, so no two distinct inputs share a byte stream. With doc
// non-nil (BodyJSON and the body is JSON) the body enters as canonical JSON:
// object keys sorted, no whitespace, numbers as written.
func fingerprint(r *http.Request, headers []string, body []byte, doc any) store.Fingerprint {
	h := sha256.New()
	field(h, 'm', r.Method)
	field(h, 'p', r.URL.EscapedPath())
	field(h, 'q', r.URL.RawQuery)
	for _, name := range headers {
		field(h, 'h', http.CanonicalHeaderKey(name))
		for _, v := range r.Header.Values(name) {
			field(h, 'v', v)
		}
	}
	if doc != nil {
		canonical, err := json.Marshal(doc)
		if err == nil {
			fieldBytes(h, 'j', canonical)
			return sum(h)
		}
	}
	fieldBytes(h, 'b', body)
	return sum(h)
}

func field(h hash.Hash, tag byte, s string) {
	var hdr [9]byte
	hdr[0] = tag
	binary.BigEndian.PutUint64(hdr[1:], uint64(len(s)))
	h.Write(hdr[:])
	h.Write([]byte(s))
}

func fieldBytes(h hash.Hash, tag byte, b []byte) {
	var hdr [9]byte
	hdr[0] = tag
	binary.BigEndian.PutUint64(hdr[1:], uint64(len(b)))
	h.Write(hdr[:])
	h.Write(b)
}

func sum(h hash.Hash) store.Fingerprint {
	var f store.Fingerprint
	h.Sum(f[:0])
	return f
}

// storageKey derives the store's key from the scope and the idempotency
// key: both hashed, so the store never sees raw values and no client byte
// (a Redis hash-tag brace, say) reaches a storage key. The scope kind is
// hashed in, so a header value and a JSON value never share a scope.
func storageKey(kind scopeKind, scopeValue, key string) store.Key {
	sh := sha256.New()
	field(sh, byte(kind), scopeValue)
	var scope store.Fingerprint
	sh.Sum(scope[:0])
	id := sha256.Sum256([]byte(key))
	return store.Key{Scope: hex.EncodeToString(scope[:]), ID: hex.EncodeToString(id[:])}
}
