package middleware

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/idemproxy/idemproxy/store"
)

// hasher is a pooled SHA-256 with a scratch buffer, so hashing a request's
// fields allocates nothing.
type hasher struct {
	h       hash.Hash
	scratch []byte
}

var hashers = sync.Pool{New: func() any { return &hasher{h: sha256.New(), scratch: make([]byte, 0, 256)} }}

func getHasher() *hasher {
	hs := hashers.Get().(*hasher)
	hs.h.Reset()
	return hs
}

// field hashes a tag, the length of s, and s: length-prefixed, so no two
// distinct field sequences share a byte stream.
func (hs *hasher) field(tag byte, s string) {
	hs.scratch = binary.BigEndian.AppendUint64(append(hs.scratch[:0], tag), uint64(len(s)))
	hs.scratch = append(hs.scratch, s...)
	hs.h.Write(hs.scratch)
}

func (hs *hasher) fieldBytes(tag byte, b []byte) {
	hs.scratch = binary.BigEndian.AppendUint64(append(hs.scratch[:0], tag), uint64(len(b)))
	hs.h.Write(hs.scratch)
	hs.h.Write(b)
}

// sum returns the digest and puts the hasher back in the pool, unless its
// scratch grew large.
func (hs *hasher) sum() (out store.Fingerprint) {
	hs.h.Sum(out[:0])
	if cap(hs.scratch) <= 4096 {
		hashers.Put(hs)
	}
	return out
}

// fingerprint hashes what makes two requests "the same request": method,
// path (normalised, as the route matched it), raw query, the selected headers (canonical names), the
// request trailers and the body. With doc non-nil (BodyJSON and the body is JSON) the body enters as
// canonical JSON: object keys sorted, no whitespace, numbers as written.
func fingerprint(r *http.Request, path string, headers []string, body []byte, doc any) store.Fingerprint {
	hs := getHasher()
	hs.field('m', r.Method)
	hs.field('p', path)
	hs.field('q', r.URL.RawQuery)
	for _, name := range headers {
		hs.field('h', name)
		for _, v := range r.Header[name] {
			hs.field('v', v)
		}
	}
	// Request trailers (the body has been read, so they are in) reach the
	// upstream with the body and may change what it does, so they are part
	// of the request: all of them, names sorted.
	if len(r.Trailer) > 0 {
		for _, name := range slices.Sorted(maps.Keys(r.Trailer)) {
			hs.field('t', name)
			for _, v := range r.Trailer[name] {
				hs.field('v', v)
			}
		}
	}
	if doc != nil {
		if canonical, err := json.Marshal(doc); err == nil {
			hs.fieldBytes('j', canonical)
			return hs.sum()
		}
	}
	hs.fieldBytes('b', body)
	return hs.sum()
}

// storageKey derives the store's key from the scope and the idempotency
// key: both hashed, so the store never sees raw values and no client byte
// (a Redis hash-tag brace, say) reaches a storage key. The scope kind is
// hashed in, so a header value and a JSON value never share a scope.
//
// Each part is the first 128 bits of a SHA-256, base64url: 22 characters
// instead of 64 hex ones, because every record carries its key for a day
// (Redis keeps a small record in about 360 bytes, of which the key is a
// sixth). 128 bits keep collisions out of reach: two scopes share a hash
// only after some 2^64 of them.
func storageKey(kind scopeKind, scopeValue, key string) store.Key {
	hs := getHasher()
	hs.field(byte(kind), scopeValue)
	scope := hs.sum()
	hs = getHasher()
	hs.field('k', key)
	id := hs.sum()
	// One string for both halves: one allocation.
	const half = (keyHashBytes*8 + 5) / 6 // unpadded base64: 22 for 16 bytes
	var buf [2 * half]byte
	base64.RawURLEncoding.Encode(buf[:half], scope[:keyHashBytes])
	base64.RawURLEncoding.Encode(buf[half:2*half], id[:keyHashBytes])
	both := string(buf[:2*half])
	return store.Key{Scope: both[:half], ID: both[half:]}
}

// keyHashBytes is how much of each SHA-256 a storage key keeps.
const keyHashBytes = 16
