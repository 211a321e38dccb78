package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/idemproxy/idemproxy/store"
)

// A stored response is one byte string: a format byte, then the payload,
// S2-compressed when the format byte says so.
//
//	payload = uvarint(status) uvarint(#names)
//	          { uvarint(len) name uvarint(#values) { uvarint(len) value } }
//	          body (the rest, raw bytes)
//
// Binary and length-prefixed, so a body is stored as is, with no base64 or
// JSON escaping, and the encoding costs two passes over the headers and one
// copy of the body.
const (
	formatRaw byte = 1
	formatS2  byte = 2
)

var errCorrupt = errors.New("redisstore: stored response is corrupt")

// payloadLen is the exact length of r's payload (before compression): what
// a replay of it allocates, and what Config.MaxResponseSize bounds.
func payloadLen(r *store.Response) int {
	n := uvarintLen(uint64(r.Status)) + uvarintLen(uint64(len(r.Header)))
	for name, values := range r.Header {
		n += uvarintLen(uint64(len(name))) + len(name) + uvarintLen(uint64(len(values)))
		for _, v := range values {
			n += uvarintLen(uint64(len(v))) + len(v)
		}
	}
	return n + len(r.Body)
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// encodeResponse encodes r into dst's memory (grown as needed) or, when
// compressed, into a new slice: compressed with S2 when the payload is at
// least compressMin bytes (compressMin <= 0: never) and compression saves
// at least an eighth.
func encodeResponse(dst []byte, r *store.Response, compressMin int) []byte {
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic bytes for the same response

	b := append(slices.Grow(dst[:0], 1+payloadLen(r)), formatRaw)
	b = binary.AppendUvarint(b, uint64(r.Status))
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		b = appendString(b, name)
		values := r.Header[name]
		b = binary.AppendUvarint(b, uint64(len(values)))
		for _, v := range values {
			b = appendString(b, v)
		}
	}
	b = append(b, r.Body...)

	payload := b[1:]
	if compressMin <= 0 || len(payload) < compressMin || !compressible(payload) {
		return b
	}
	c := make([]byte, 1, 1+s2.MaxEncodedLen(len(payload)))
	c[0] = formatS2
	c = append(c[:1], s2.Encode(c[1:cap(c)], payload)...)
	if len(c) > len(b)-len(b)/8 {
		return b // incompressible (an image, a zip): keep it raw
	}
	return c
}

// compressible reports whether a large payload is worth compressing,
// judged by a sample from its middle (past the headers): compressing 1 MiB
// of an image or a zip costs more than a millisecond only to be thrown
// away. Small payloads are just compressed; the attempt is the test.
func compressible(payload []byte) bool {
	if len(payload) < 4*sampleLen {
		return true
	}
	mid := len(payload) / 2
	sample := payload[mid-sampleLen/2 : mid+sampleLen/2]
	return len(s2.Encode(make([]byte, s2.MaxEncodedLen(sampleLen)), sample)) <= sampleLen-sampleLen/8
}

// sampleLen is the sample compressible compresses: large enough for S2 to
// find a text's repetitions, small enough to cost a few microseconds.
const sampleLen = 8 << 10

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeResponse decodes what encodeResponse made. It refuses a payload
// larger than max, and allocates for what the payload holds, never for
// what its counts claim: it checks the whole payload in a first pass that
// allocates nothing, then builds the response with exact sizes. So a
// damaged or foreign value costs about its own size, never the 200 MiB an
// 8-byte S2 header or a bogus header count could claim.
func decodeResponse(data string, max int) (*store.Response, error) {
	if len(data) == 0 {
		return nil, errCorrupt
	}
	var payload []byte
	switch data[0] {
	case formatRaw:
		if len(data)-1 > max {
			return nil, fmt.Errorf("%w: %d bytes, more than the maximum %d", errCorrupt, len(data)-1, max)
		}
		payload = []byte(data[1:])
	case formatS2:
		src := []byte(data[1:])
		n, err := s2.DecodedLen(src)
		if err != nil || n > max {
			return nil, fmt.Errorf("%w: %d bytes compressed, maximum %d (%v)", errCorrupt, n, max, err)
		}
		if payload, err = s2.Decode(make([]byte, n), src); err != nil {
			return nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
	default:
		return nil, fmt.Errorf("%w: format %#x", errCorrupt, data[0])
	}

	// First pass: check every length and count the values.
	d := decoder{b: payload}
	status := d.uvarint()
	names := d.uvarint()
	// Each name takes at least two bytes (its length, its value count).
	if d.err != nil || status > 999 || names > uint64(len(d.b))/2 {
		return nil, errCorrupt
	}
	var values uint64
	for range names {
		d.skip()
		nv := d.uvarint()
		if d.err != nil || nv > uint64(len(d.b)) { // each value takes a byte at least
			return nil, errCorrupt
		}
		for range nv {
			d.skip()
		}
		values += nv
	}
	if d.err != nil {
		return nil, errCorrupt
	}

	// Second pass: build. One backing array holds every value.
	d = decoder{b: payload}
	d.uvarint()
	d.uvarint()
	var h http.Header
	if names > 0 {
		h = make(http.Header, min(names, 64)) // a hint; duplicates are possible in a foreign value
	}
	all := make([]string, values)
	for range names {
		name := d.string()
		nv := d.uvarint()
		vs := all[:nv:nv]
		all = all[nv:]
		for i := range vs {
			vs[i] = d.string()
		}
		h[name] = vs
	}
	return &store.Response{Status: int(status), Header: h, Body: d.b}, nil
}

// decoder reads the payload's fields; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// skip passes over one length-prefixed string.
func (d *decoder) skip() {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return
	}
	d.b = d.b[n:]
}

// encodeBufs are the buffers Finish encodes into: a 1 MiB response
// encoded into a fresh buffer each time costs zeroing a megabyte of new
// pages before copying into it. A buffer is free again once Finish's
// commands returned (go-redis writes them before it does).
var encodeBufs sync.Pool

// maxPooledEncode bounds the buffers kept: a rare huge response is left to
// the garbage collector rather than kept in the pool.
const maxPooledEncode = 4 << 20

func getEncodeBuf() *[]byte {
	if b, ok := encodeBufs.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

func putEncodeBuf(b *[]byte) {
	if cap(*b) <= maxPooledEncode {
		encodeBufs.Put(b)
	}
}
