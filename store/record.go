package store

import (
	"fmt"
	"net/http"
	"time"
)

// Key addresses one record: the caller's scope and the idempotency key, both
// already hashed by the caller (the middleware: base64url of 128-bit SHA-256
// prefixes), so that a client can neither read another scope's records nor
// smuggle bytes such as Redis hash-tag braces into a storage key.
type Key struct {
	Scope string // hash of the caller's scope value
	ID    string // hash of the Idempotency-Key value
}

// maxKeyPart bounds each part of a Key: room for any hash a caller uses.
const maxKeyPart = 128

// Validate reports ErrInvalidKey unless both parts are 1–128 bytes of
// [0-9A-Za-z_-].
func (k Key) Validate() error {
	for _, part := range [...]struct{ name, v string }{{"scope", k.Scope}, {"id", k.ID}} {
		if len(part.v) == 0 || len(part.v) > maxKeyPart {
			return fmt.Errorf("%w: %s must be 1-%d bytes, got %d", ErrInvalidKey, part.name, maxKeyPart, len(part.v))
		}
		for i := 0; i < len(part.v); i++ {
			if !keyByte(part.v[i]) {
				return fmt.Errorf("%w: %s has byte %#x at %d", ErrInvalidKey, part.name, part.v[i], i)
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// String returns "scope:id", for logs (both parts are already hashes).
func (k Key) String() string { return k.Scope + ":" + k.ID }

// Fingerprint is the SHA-256 of everything that makes a request "the same
// request" (method, path, query, selected headers, body).
type Fingerprint [32]byte

// State is a record's state.
type State uint8

const (
	// InProgress: an owner holds the key and the work is running (or the
	// owner died, when its lease has passed).
	InProgress State = iota + 1
	// Completed: the work finished; the response is stored for replay, unless
	// it was too large to keep (Record.Response is then nil).
	Completed
	// Failed: the work ended in a status the policy does not replay; retries
	// are told to use a new key.
	Failed
)

func (s State) String() string {
	switch s {
	case InProgress:
		return "IN_PROGRESS"
	case Completed:
		return "COMPLETED"
	case Failed:
		return "FAILED"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Response is a stored upstream response, replayed byte for byte.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Size is what the response costs to keep: its body and its header names
// and values. Bounded stores and caches count it against their limits.
func (r *Response) Size() int64 {
	if r == nil {
		return 0
	}
	n := int64(len(r.Body))
	for k, vs := range r.Header {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// Record is the stored state of one key, as Get returns it.
type Record struct {
	State       State
	Fingerprint Fingerprint
	// Owner is the owner token of the claim that created or took over the
	// record (IN_PROGRESS only: a finished record keeps no owner, since no
	// owner may act on it any more, and a record kept for a day should not
	// carry what it no longer needs).
	Owner string
	// Version is the fencing token of that claim: it grows with every claim
	// of the same key (including takeovers), so an upstream that remembers
	// the highest version seen can refuse a stale owner.
	Version int64
	// LeaseUntil is the lease deadline (IN_PROGRESS only), by the store's
	// clock.
	LeaseUntil time.Time
	// ExpiresAt is when the record itself expires, by the store's clock.
	ExpiresAt time.Time
	// Status is the upstream status (COMPLETED and FAILED).
	Status int
	// Response is the stored response (COMPLETED and replayable only).
	Response *Response
}
