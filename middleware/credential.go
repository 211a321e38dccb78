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
//     "Bearer  t" are one caller. The scheme is spelled as registered for
//     the schemes registered with IANA ("Bearer", "DPoP",
//     "AWS4-HMAC-SHA256"), the spelling clients send, so that records made
//     before this normalisation keep their scope; any other scheme is
//     lower-cased. The credentials themselves stay exact: a token68 is
//     case-sensitive;
//   - a scheme without credentials ("Bearer " from a client that has no
//     token) names nobody: it is "", as a missing header is, or every such
//     client would share one scope.
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
		return "" // a scheme alone carries no identity
	}
	scheme, rest := v[:i], trimOWS(v[i:])
	canonical := canonicalScheme(scheme)
	if canonical == scheme && v[i] == ' ' && len(rest) == len(v)-i-1 {
		return v // already normal: no allocation
	}
	return canonical + " " + rest
}

// registeredSchemes are the HTTP authentication schemes of the IANA
// registry, by their lower-case name.
var registeredSchemes = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"Basic", "Bearer", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual",
		"Negotiate", "NTLM", "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid",
		"AWS4-HMAC-SHA256", "SharedKey"} {
		m[strings.ToLower(s)] = s
	}
	return m
}()

// canonicalScheme is one spelling of an auth-scheme, whatever its case: the
// registered one, or lower case. Only ASCII letters are folded: a scheme is
// a token.
func canonicalScheme(s string) string {
	if len(s) <= 32 {
		var buf [32]byte
		lower := buf[:len(s)]
		for j := 0; j < len(s); j++ {
			c := s[j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[j] = c
		}
		if reg, ok := registeredSchemes[string(lower)]; ok { // no allocation: a map lookup by []byte conversion
			return reg
		}
		if string(lower) == s {
			return s
		}
		return string(lower)
	}
	return strings.ToLower(s)
}
