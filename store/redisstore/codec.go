package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"

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

// maxDecoded bounds the decompressed size of a stored response, so that a
// damaged or foreign value cannot make a replay allocate without limit.
const maxDecoded = 256 << 20

var errCorrupt = errors.New("redisstore: stored response is corrupt")

// encodeResponse encodes r, compressed with S2 when the payload is at least
// compressMin bytes (compressMin <= 0: never) and compression saves at
// least an eighth.
func encodeResponse(r *store.Response, compressMin int) []byte {
	names := make([]string, 0, len(r.Header))
	size := 1 + binary.MaxVarintLen64*2
	for name, values := range r.Header {
		names = append(names, name)
		size += 2*binary.MaxVarintLen64 + len(name)
		for _, v := range values {
			size += binary.MaxVarintLen64 + len(v)
		}
	}
	slices.Sort(names) // deterministic bytes for the same response
	size += len(r.Body)

	b := make([]byte, 1, size)
	b[0] = formatRaw
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
	if compressMin <= 0 || len(payload) < compressMin {
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

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeResponse decodes what encodeResponse made. The result shares no
// memory with b's caller beyond the fresh copy made here.
func decodeResponse(data string) (*store.Response, error) {
	if len(data) == 0 {
		return nil, errCorrupt
	}
	var payload []byte
	switch data[0] {
	case formatRaw:
		payload = []byte(data[1:])
	case formatS2:
		src := []byte(data[1:])
		n, err := s2.DecodedLen(src)
		if err != nil || n > maxDecoded {
			return nil, fmt.Errorf("%w: %d bytes compressed (%v)", errCorrupt, n, err)
		}
		if payload, err = s2.Decode(make([]byte, n), src); err != nil {
			return nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
	default:
		return nil, fmt.Errorf("%w: format %#x", errCorrupt, data[0])
	}

	d := decoder{b: payload}
	status := d.uvarint()
	n := d.uvarint()
	var h http.Header
	if n > 0 && d.err == nil {
		// Every name takes at least two bytes: the count cannot exceed them.
		if n > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		h = make(http.Header, n)
	}
	for range n {
		name := d.string()
		nv := d.uvarint()
		if d.err != nil || nv > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		values := make([]string, nv)
		for i := range values {
			values[i] = d.string()
		}
		h[name] = values
	}
	if d.err != nil || status > 999 {
		return nil, errCorrupt
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
