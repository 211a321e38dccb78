package redisstore

import (
	"fmt"
	"strings"
)

// A stored response is kept in chunks of at most chunkSize bytes, fields r,
// r1, r2, ... of the record's hash (finish.lua), when it fits in maxChunks
// of them: Redis keeps a hash whose values are all at most
// hash-max-listpack-value bytes (64 by default) in its compact listpack
// encoding, and converts it to a hashtable, about 2.5 times larger for a
// small record, as soon as one value is longer. A response too large for
// that is kept whole in a string key of its own beside the record (see
// finish.lua), which also keeps large values out of the scripts.
const (
	chunkSize = 64
	maxChunks = 32
)

// chunked reports whether an encoded response of n bytes is kept in
// chunks in the record's hash; a larger one is kept in its own key.
func chunked(n int) bool { return n <= chunkSize*maxChunks }

// appendChunks appends the chunks of a chunked encoded response to args:
// slices of enc, not copies.
func appendChunks(args []any, enc []byte) []any {
	for len(enc) > chunkSize {
		args = append(args, enc[:chunkSize])
		enc = enc[chunkSize:]
	}
	return append(args, enc)
}

// joinChunks reads a stored response as a script returns it: one string, or
// the array of its chunks.
func joinChunks(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		var b strings.Builder
		for i, c := range v {
			s, ok := c.(string)
			if !ok {
				return "", fmt.Errorf("%w: chunk %d of the response is %T, want a string", errCorrupt, i, c)
			}
			b.WriteString(s)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("%w: the response is %T, want a string or chunks", errCorrupt, v)
}
