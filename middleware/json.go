package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// errAmbiguousJSON is the root of the reasons decodeJSON refuses a body that
// parses as JSON but means different things to different parsers.
var errAmbiguousJSON = errors.New("ambiguous JSON")

// decodeJSON decodes body with numbers kept as written. It returns nil, nil
// when the body is not one JSON value (it is then taken raw), and an error
// wrapping errAmbiguousJSON when it is JSON that parsers disagree on, so that
// neither the scope nor the fingerprint can be derived from it safely:
//
//   - a member name twice in one object: Go's decoder keeps the last value,
//     many others keep the first, so the upstream could act on a customer id
//     or an amount the fingerprint never saw;
//   - invalid UTF-8, or an escaped lone surrogate ("\ud800"): decoders
//     replace each with U+FFFD, so "\xff" and "\xfe" would be one scope.
func decodeJSON(body []byte) (any, error) {
	if !json.Valid(body) {
		return nil, nil
	}
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: the body is not valid UTF-8", errAmbiguousJSON)
	}
	if err := checkEscapes(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return decodeValue(dec)
}

// decodeValue decodes the next value of dec, refusing duplicate member
// names. The body is known to be valid JSON, so a token error cannot happen
// but is reported all the same.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for dec.More() {
			name, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := name.(string)
			if _, dup := obj[key]; dup {
				return nil, fmt.Errorf("%w: member %q appears twice in one object", errAmbiguousJSON, key)
			}
			if obj[key], err = decodeValue(dec); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token() // '}'
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return tok, nil // string, json.Number, bool or nil
}

// checkEscapes refuses \u escapes that name a lone UTF-16 surrogate. body is
// valid JSON, so outside strings there is no backslash and inside them every
// backslash starts a well-formed escape.
func checkEscapes(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++
		if body[i] != 'u' {
			continue
		}
		r := hex4(body[i+1 : i+5])
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		// A high surrogate must be followed by an escaped low one.
		if r < 0xdc00 && i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
			if lo := hex4(body[i+3 : i+7]); lo >= 0xdc00 && lo <= 0xdfff {
				i += 6
				continue
			}
		}
		return fmt.Errorf("%w: the escape \\u%04x is a lone UTF-16 surrogate", errAmbiguousJSON, r)
	}
	return nil
}

// hex4 parses four hex digits, already validated by json.Valid.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}
