package middleware

import "errors"

// maxKeyLen is the longest key accepted, as the IETF draft suggests.
const maxKeyLen = 255

var (
	errKeyEmpty    = errors.New("the key is empty")
	errKeyTooLong  = errors.New("the key is longer than 255 characters")
	errKeyChar     = errors.New("the key has a character that is not visible ASCII (a space is allowed only inside a quoted key)")
	errKeyLines    = errors.New("the header appears on more than one field line")
	errKeySFString = errors.New("the key is not a valid structured-field string")
)

// parseKey returns the key carried by the field lines of one header. It
// accepts the IETF draft's RFC 8941 sf-string ("abc", with \" and \\ escapes)
// and the bare form (abc) that Stripe-style clients send; both spell the same
// key. The key is 1–255 visible ASCII characters (0x21–0x7E), any of them:
// braces, colons and quotes are just characters, since keys are hashed before
// they reach the store. An sf-string may also hold spaces ("sp ace"), as
// RFC 8941 allows; a bare key cannot, since its spaces could not be told from
// the field's own whitespace. Exactly one field line is allowed.
func parseKey(lines []string) (string, error) {
	if len(lines) != 1 {
		return "", errKeyLines
	}
	v := trimOWS(lines[0])
	if len(v) > 0 && v[0] == '"' {
		return parseSFString(v)
	}
	return checkKey(v, '!')
}

// parseSFString parses an sf-string item without parameters: the whole value
// must be one quoted string.
func parseSFString(v string) (string, error) {
	// Most keys have no escapes: return the inner slice without copying.
	if end := len(v) - 1; end > 0 && v[end] == '"' {
		inner := v[1:end]
		plain := true
		for i := 0; i < len(inner); i++ {
			if inner[i] == '"' || inner[i] == '\\' {
				plain = false
				break
			}
		}
		if plain {
			return checkKey(inner, ' ')
		}
	}
	buf := make([]byte, 0, len(v))
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			i++
			if i >= len(v) || (v[i] != '"' && v[i] != '\\') {
				return "", errKeySFString
			}
			buf = append(buf, v[i])
		case c == '"':
			if i != len(v)-1 {
				return "", errKeySFString // parameters or trailing bytes
			}
			return checkKey(string(buf), ' ')
		case c < 0x20 || c > 0x7e:
			return "", errKeySFString
		default:
			buf = append(buf, c)
		}
	}
	return "", errKeySFString // no closing quote
}

// checkKey checks the length of k and that its bytes are in lowest..0x7E:
// '!' for a bare key, ' ' inside an sf-string.
func checkKey(k string, lowest byte) (string, error) {
	if len(k) == 0 {
		return "", errKeyEmpty
	}
	if len(k) > maxKeyLen {
		return "", errKeyTooLong
	}
	for i := 0; i < len(k); i++ {
		if k[i] < lowest || k[i] > 0x7e {
			return "", errKeyChar
		}
	}
	return k, nil
}

// trimOWS trims the optional whitespace (SP, HTAB) around a field value.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
