package middleware

import (
	"net/http"
	"strings"
)

// Routes match a normalised path, not the bytes a client sent: many
// upstreams route leniently (Express, Rails and most frameworks ignore a
// trailing slash and case; servlet containers drop ";params"; every server
// resolves "." and ".."), so /orders/, /Orders, //orders, /./orders and
// /%6Frders all reach the same handler there, and a route that matched only
// "/orders" would let each of them through unprotected.

// requestPath returns the request's path normalised for matching and
// fingerprinting (see normalizePath), and, when it differs, its lenient
// form: every escape decoded (so %2F is a slash) and ";params" dropped, for
// the upstreams that read paths that way. Covered means matched by either.
func requestPath(r *http.Request) (path, lenient string) {
	escaped := r.URL.EscapedPath()
	path = normalizePath(escaped)
	lenient = path
	if strings.ContainsAny(escaped, "%;") {
		lenient = normalizePath(stripParams(unescapeAll(escaped)))
	}
	return path, lenient
}

// normalizePath applies RFC 3986's syntax-based normalisation to an escaped
// path, and two rules of lenient routers: escapes of unreserved characters
// are decoded ("%6F" is "o"), other escapes upper-cased ("%2f" is "%2F")
// and a stray "%" escaped; "." and ".." segments are resolved; repeated slashes are one; a
// trailing slash is dropped. The result starts with "/". A path already
// normal is returned as is, without allocating: that is nearly every
// request.
func normalizePath(p string) string {
	if isNormalPath(p) {
		return p
	}
	var segs []string
	for seg := range strings.SplitSeq(decodeUnreserved(p), "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	return "/" + strings.Join(segs, "/")
}

// isNormalPath reports whether normalizePath would leave p unchanged.
func isNormalPath(p string) bool {
	if p == "/" {
		return true
	}
	if p == "" || p[0] != '/' || p[len(p)-1] == '/' || strings.IndexByte(p, '%') >= 0 || strings.Contains(p, "//") {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// decodeUnreserved decodes the escapes of unreserved characters and
// upper-cases the hex digits of the others.
func decodeUnreserved(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			// A stray '%' (net/http refuses it in a request, but a
			// configured path may have one) is escaped, so that it cannot
			// form an escape with what follows.
			b.WriteString("%25")
			continue
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if unreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex(p[i+1]))
			b.WriteByte(upperHex(p[i+2]))
		}
		i += 2
	}
	return b.String()
}

// unescapeAll decodes every well-formed escape; others stay as written.
func unescapeAll(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			b.WriteByte(unhex(p[i+1])<<4 | unhex(p[i+2]))
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// stripParams drops each segment's ";params" (RFC 3986 path parameters,
// which servlet containers and some frameworks ignore when routing).
func stripParams(p string) string {
	if strings.IndexByte(p, ';') < 0 {
		return p
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if j := strings.IndexByte(seg, ';'); j >= 0 {
			segs[i] = seg[:j]
		}
	}
	return strings.Join(segs, "/")
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}
