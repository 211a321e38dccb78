package middleware

import "strings"

// normalizeScopeHeader turns a scope header's field lines into the caller's
// identity. Spellings that mean the same credential must be one scope, or a
// client that retries with "bearer t" after "Bearer t" runs its request
// twice:
//
//   - surrounding whitespace never counts;
//   - in Authorization and Proxy-Authorization the auth-scheme is
//     case-insensitive (RFC 9110 §11.1) and the whitespace between it and
//     the credentials is one separator, so "Bearer t", "bearer t" and
//     "Bearer  t" are one caller, spelled "Bearer t": the scheme's first
//     letter upper case and the rest lower, the spelling nearly every
//     client sends, so records made before this normalisation keep their
//     scope. The credentials themselves stay exact: a token68 is
//     case-sensitive.
//
// Several field lines are joined with "\n" (never inside a value), so "a" +
// "b" and "a, b" stay apart from "ab". Blank lines are dropped; no line at
// all, or only blank ones, gives "": the request names no caller.
func normalizeScopeHeader(name string, lines []string) string {
	credential := name == "Authorization" || name == "Proxy-Authorization"
	if len(lines) == 1 {
		// The common case, without allocating unless something changes.
		return normalizeLine(lines[0], credential)
	}
	var b strings.Builder
	for _, l := range lines {
		if l = normalizeLine(l, credential); l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}

func normalizeLine(v string, credential bool) string {
	v = trimOWS(v)
	if !credential || v == "" {
		return v
	}
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		i = len(v) // a scheme alone ("Negotiate")
	}
	scheme, rest := v[:i], trimOWS(v[i:])
	if canonicalScheme(scheme) && (rest == "" || v[i] == ' ' && len(rest) == len(v)-i-1) {
		return v // already normal: no allocation
	}
	b := make([]byte, 0, len(scheme)+1+len(rest))
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		if j == 0 && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		} else if j > 0 && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if rest != "" {
		b = append(append(b, ' '), rest...)
	}
	return string(b)
}

// canonicalScheme reports whether an auth-scheme is already spelled with
// its first ASCII letter upper case and the others lower. Only ASCII
// letters are folded: a scheme is a token.
func canonicalScheme(s string) bool {
	for j := 0; j < len(s); j++ {
		c := s[j]
		if j == 0 && c >= 'a' && c <= 'z' || j > 0 && c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}
