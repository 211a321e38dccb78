package redisstore_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	random := make([]byte, 64<<10)
	_, _ = rand.Read(random)
	json := []byte(strings.Repeat(`{"order_id":"8e03978e","total":"12.50"},`, 2000))
	tests := []struct {
		name           string
		resp           *store.Response
		wantCompressed bool
	}{
		{name: "Empty", resp: &store.Response{Status: 204}},
		{name: "Headers", resp: &store.Response{Status: 201, Header: http.Header{
			"Vary": {"Accept", "Origin"}, "X-Empty": {""}, "Location": {"/x"},
		}, Body: []byte("\x00\xff binary \r\n")}},
		{name: "LargeJSONCompressed", resp: &store.Response{Status: 200, Body: json}, wantCompressed: true},
		{name: "LargeRandomStaysRaw", resp: &store.Response{Status: 200, Body: random}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			enc := redisstore.EncodeResponse(tc.resp, redisstore.DefaultCompressMinSize)
			if compressed := enc[0] == 2; compressed != tc.wantCompressed {
				t.Errorf("compressed: got %v, want %v (%d bytes for a %d-byte body)", compressed, tc.wantCompressed, len(enc), len(tc.resp.Body))
			}
			if tc.wantCompressed && len(enc) > len(tc.resp.Body)/4 {
				t.Errorf("compressed size: got %d, want well under %d", len(enc), len(tc.resp.Body))
			}
			got, err := redisstore.DecodeResponse(string(enc), redisstore.DefaultMaxResponseSize)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got.Status != tc.resp.Status || !bytes.Equal(got.Body, tc.resp.Body) || !sameHeader(got.Header, tc.resp.Header) {
				t.Errorf("round trip: got %d %v %d bytes, want %d %v %d bytes",
					got.Status, got.Header, len(got.Body), tc.resp.Status, tc.resp.Header, len(tc.resp.Body))
			}
		})
	}
}

// TestCodecIsCompact: the body is stored raw (no base64 or JSON), with a
// few bytes of framing.
func TestCodecIsCompact(t *testing.T) {
	t.Parallel()
	body := []byte(`{"a":1}`)
	enc := redisstore.EncodeResponse(&store.Response{Status: 200, Header: http.Header{"A": {"b"}}, Body: body}, 0)
	if !bytes.HasSuffix(enc, body) || len(enc) > len(body)+10 {
		t.Errorf("encoding: got %q (%d bytes), want the raw body after a few bytes of framing", enc, len(enc))
	}
}

func TestCodecRejectsCorrupt(t *testing.T) {
	t.Parallel()
	good := string(redisstore.EncodeResponse(&store.Response{Status: 200, Header: http.Header{"A": {"b"}}, Body: []byte("x")}, 0))
	for _, in := range []string{"", "\x09", "\x01", "\x01\xc8\x01\x05", "\x02garbage", good[:4], "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"} {
		if r, err := redisstore.DecodeResponse(in, redisstore.DefaultMaxResponseSize); err == nil {
			t.Errorf("decode %q: got %+v, want an error", in, r)
		}
	}
}

// TestCodecBoundsAllocations: a corrupt or foreign value makes decoding
// allocate about its own size, never what its length fields claim: an
// 8-byte S2 value that claims 200 MiB, a 1 MiB raw value that claims half
// a million headers. Not parallel: it reads the process's allocation
// counter.
func TestCodecBoundsAllocations(t *testing.T) {
	manyHeaders := binary.AppendUvarint([]byte{1}, 200)
	manyHeaders = binary.AppendUvarint(manyHeaders, 600_000)
	manyHeaders = append(manyHeaders, make([]byte, 1<<20)...) // room for fewer
	manyValues := binary.AppendUvarint([]byte{1}, 200)
	manyValues = binary.AppendUvarint(manyValues, 1)
	manyValues = append(manyValues, 1, 'A')
	manyValues = binary.AppendUvarint(manyValues, 1<<20-200)
	manyValues = append(manyValues, bytes.Repeat([]byte{5}, 1<<20-100)...) // 5-byte values: room for fewer
	tests := []struct {
		name     string
		data     []byte
		maxAlloc uint64
	}{
		{"S2Claims200MiB", append([]byte{2}, binary.AppendUvarint(nil, 200<<20)...), 1 << 20},
		{"RawClaimsManyHeaders", manyHeaders, 4 << 20},
		{"RawClaimsManyValues", manyValues, 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := string(tc.data)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := redisstore.DecodeResponse(data, redisstore.DefaultMaxResponseSize)
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxAlloc {
				t.Errorf("decode of %d bytes allocated %d bytes, want at most %d", len(data), got, tc.maxAlloc)
			}
			if err == nil {
				t.Errorf("decode: got nil error, want one")
			}
		})
	}
}

// TestCodecMaxSize: a response whose payload exceeds the maximum is
// refused, compressed or not; one at the maximum decodes.
func TestCodecMaxSize(t *testing.T) {
	t.Parallel()
	const max = 64 << 10
	for _, compressMin := range []int{0, 1} {
		for _, tc := range []struct {
			body   int
			wantOK bool
		}{{body: max - 16, wantOK: true}, {body: max + 1, wantOK: false}} {
			enc := redisstore.EncodeResponse(&store.Response{Status: 200, Body: bytes.Repeat([]byte("a"), tc.body)}, compressMin)
			_, err := redisstore.DecodeResponse(string(enc), max)
			if (err == nil) != tc.wantOK {
				t.Errorf("compressMin %d, body %d bytes, max %d: got error %v, want ok %v", compressMin, tc.body, max, err, tc.wantOK)
			}
		}
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// FuzzCodec: decoding any bytes never panics, and whatever encodes decodes
// to the same response, compressed or not.
func FuzzCodec(f *testing.F) {
	f.Add(200, "Content-Type", "application/json", []byte(`{"a":1}`), 0)
	f.Add(503, "", "", []byte(strings.Repeat("ab", 5000)), 16)
	f.Fuzz(func(t *testing.T, status int, name, value string, body []byte, compressMin int) {
		_, _ = redisstore.DecodeResponse(string(body), redisstore.DefaultMaxResponseSize)
		if status < 0 || status > 999 {
			return
		}
		in := &store.Response{Status: status, Body: body}
		if name != "" {
			in.Header = http.Header{name: {value, value}}
		}
		got, err := redisstore.DecodeResponse(string(redisstore.EncodeResponse(in, compressMin)), redisstore.DefaultMaxResponseSize)
		if err != nil {
			t.Fatalf("decode of an encoding: %v", err)
		}
		if got.Status != in.Status || !bytes.Equal(got.Body, in.Body) || !sameHeader(got.Header, in.Header) {
			t.Fatalf("round trip: got %+v, want %+v", got, in)
		}
	})
}

// TestEncodeIntoUsedBuffer: Finish encodes into pooled buffers that held
// other responses: nothing of a previous response may show in the next
// one's bytes, whichever is the larger.
func TestEncodeIntoUsedBuffer(t *testing.T) {
	large := &store.Response{Status: 201, Header: http.Header{"Location": {"/orders/1"}}, Body: bytes.Repeat([]byte{0xAB}, 64<<10)}
	small := &store.Response{Status: 200, Body: []byte("ok")}
	var buf []byte
	for _, r := range []*store.Response{large, small, large, small} {
		enc := redisstore.EncodeResponseInto(buf, r, 0)
		if want := redisstore.EncodeResponse(r, 0); !bytes.Equal(enc, want) {
			t.Fatalf("encoded into a used buffer: %d bytes differing from the %d of a fresh one", len(enc), len(want))
		}
		got, err := redisstore.DecodeResponse(string(enc), redisstore.DefaultMaxResponseSize)
		if err != nil || got.Status != r.Status || !bytes.Equal(got.Body, r.Body) {
			t.Fatalf("round trip through a used buffer: %v, %v", got, err)
		}
		buf = enc[:0]
	}
}

// BenchmarkEncodeResponse: a 1 MiB response, compressible and not. The
// incompressible one is judged by a sample and stored raw without
// compressing the whole of it first; Reused encodes into one buffer, as
// Finish does with its pool (compare B/op).
func BenchmarkEncodeResponse(b *testing.B) {
	random := make([]byte, 1<<20)
	_, _ = rand.Read(random)
	json := []byte(strings.Repeat(`{"order_id":"8e03978e","total":"12.50"},`, (1<<20)/40))
	for _, bc := range []struct {
		name string
		body []byte
	}{{"Random1MiB", random}, {"JSON1MiB", json}} {
		b.Run(bc.name, func(b *testing.B) {
			resp := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: bc.body}
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				redisstore.EncodeResponse(resp, redisstore.DefaultCompressMinSize)
			}
		})
		b.Run(bc.name+"Reused", func(b *testing.B) {
			resp := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: bc.body}
			b.SetBytes(int64(len(bc.body)))
			var buf []byte
			for b.Loop() {
				buf = redisstore.EncodeResponseInto(buf, resp, redisstore.DefaultCompressMinSize)[:0]
			}
		})
	}
}
