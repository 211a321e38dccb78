package middleware

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", maxKeyLen)
	tests := []struct {
		name    string
		lines   []string
		want    string
		wantErr error
	}{
		{name: "bare", lines: []string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, want: "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{name: "sf-string", lines: []string{`"8e03978e-40d5"`}, want: "8e03978e-40d5"},
		{name: "surrounding whitespace", lines: []string{" \tabc\t "}, want: "abc"},
		{name: "braces colons and quotes are characters", lines: []string{`a{b}:c"d`}, want: `a{b}:c"d`},
		{name: "sf-string escapes", lines: []string{`"a\"b\\c"`}, want: `a"b\c`},
		{name: "longest bare", lines: []string{long}, want: long},
		{name: "longest sf-string", lines: []string{`"` + long + `"`}, want: long},
		{name: "no line", lines: nil, wantErr: errKeyLines},
		{name: "two lines", lines: []string{"a", "b"}, wantErr: errKeyLines},
		{name: "empty", lines: []string{""}, wantErr: errKeyEmpty},
		{name: "blank", lines: []string{"   "}, wantErr: errKeyEmpty},
		{name: "empty sf-string", lines: []string{`""`}, wantErr: errKeyEmpty},
		{name: "too long", lines: []string{long + "k"}, wantErr: errKeyTooLong},
		{name: "too long sf-string", lines: []string{`"` + long + `k"`}, wantErr: errKeyTooLong},
		{name: "inner space", lines: []string{"a b"}, wantErr: errKeyChar},
		{name: "space in sf-string", lines: []string{`"sp ace"`}, want: "sp ace"},
		{name: "spaces around an sf-string's key", lines: []string{`" k "`}, want: " k "},
		{name: "control character", lines: []string{"a\x01b"}, wantErr: errKeyChar},
		{name: "DEL", lines: []string{"a\x7fb"}, wantErr: errKeyChar},
		{name: "non-ASCII", lines: []string{"cl\u00e9"}, wantErr: errKeyChar},
		{name: "unterminated sf-string", lines: []string{`"abc`}, wantErr: errKeySFString},
		{name: "sf-string with parameters", lines: []string{`"abc";x=1`}, wantErr: errKeySFString},
		{name: "sf-string list", lines: []string{`"a", "b"`}, wantErr: errKeySFString},
		{name: "bad escape", lines: []string{`"a\nb"`}, wantErr: errKeySFString},
		{name: "control in sf-string", lines: []string{"\"a\x01b\""}, wantErr: errKeyChar},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseKey(tc.lines)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("parseKey(%q) error = %v, want %v", tc.lines, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("parseKey(%q) = %q, want %q", tc.lines, got, tc.want)
			}
		})
	}
}

// FuzzParseKey checks, for any header value: parseKey never panics; what it
// accepts is 1–255 printable ASCII characters (spaces only from an
// sf-string); and every key and its sf-string spelling parse to the same key.
func FuzzParseKey(f *testing.F) {
	for _, seed := range []string{"abc", `"abc"`, `"a\"b"`, "", " ", `"`, `"\`, "a{b}:c", strings.Repeat("x", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		k, err := parseKey([]string{v})
		if err != nil {
			return
		}
		if len(k) < 1 || len(k) > maxKeyLen {
			t.Fatalf("parseKey(%q) = %q: length %d outside 1-255", v, k, len(k))
		}
		for i := 0; i < len(k); i++ {
			if k[i] < 0x20 || k[i] > 0x7e || k[i] == ' ' && (v == "" || trimOWS(v)[0] != '"') {
				t.Fatalf("parseKey(%q) = %q: byte %#x is not printable ASCII, or a space outside an sf-string", v, k, k[i])
			}
		}
		quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(k) + `"`
		if k2, err := parseKey([]string{quoted}); err != nil || k2 != k {
			t.Fatalf("sf-string %q of key %q parsed to %q, %v", quoted, k, k2, err)
		}
		if k[0] != '"' && !strings.Contains(k, " ") { // a key with spaces has no bare spelling
			if k3, err := parseKey([]string{k}); err != nil || k3 != k {
				t.Fatalf("bare key %q parsed to %q, %v", k, k3, err)
			}
		}
	})
}
