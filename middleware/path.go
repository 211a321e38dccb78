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

// reqPath is a request's path in the forms routes match.
type reqPath struct {
	// norm is the path normalised (see normalizePath): what routes match
	// and requests are fingerprinted by.
	norm string
	// lenient is norm as looser upstreams read it: every escape decoded (so
	// %2F is a slash), backslashes as slashes (IIS, some Node routers),
	// ";params" dropped (servlet containers), trailing spaces trimmed. The
	// same resource: fingerprinted in this form when only it matches.
	lenient string
	// format is lenient without a format suffix on its last segment
	// ("/orders.json" is /orders in Rails and older Spring). Perhaps
	// another representation: matched, but fingerprinted as norm, so a key
	// reused across the spellings is 422, never the other's replay.
	format string
}

// requestPath returns the forms of r's path. Covered means matched by any;
// for nearly every request they are one string, and nothing is allocated.
func requestPath(r *http.Request) reqPath {
	escaped := r.URL.EscapedPath()
	p := reqPath{norm: normalizePath(escaped)}
	p.lenient, p.format = p.norm, p.norm
	if strings.ContainsAny(escaped, "%;\\") {
		decoded := strings.ReplaceAll(unescapeAll(escaped), "\\", "/")
		p.lenient = normalizePath(strings.TrimRight(stripParams(decoded), " \t"))
		p.format = p.lenient
	}
	if strings.IndexByte(p.lenient, '.') >= 0 {
		p.format = dropFormat(p.lenient)
	}
	return p
}

// dropFormat drops a format suffix, a dot and 1-8 letters or digits, from
// the last segment of a normalised path.
func dropFormat(p string) string {
	last := p[strings.LastIndexByte(p, '/')+1:]
	dot := strings.LastIndexByte(last, '.')
	if dot <= 0 || len(last)-dot-1 < 1 || len(last)-dot-1 > 8 {
		return p
	}
	for _, c := range []byte(last[dot+1:]) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return p
		}
	}
	return p[:len(p)-len(last)+dot]
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
