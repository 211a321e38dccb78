package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// scopeKind says where a caller's identity comes from.
type scopeKind byte

// The kinds double as the first byte hashed into the scope, so values of two
// kinds never collide.
const (
	scopeNone   scopeKind = 'n'
	scopeHeader scopeKind = 'h'
	scopeJSON   scopeKind = 'j'
)

// scopeSource is a parsed Policy.Scope.
type scopeSource struct {
	kind    scopeKind
	header  string   // canonical header name (scopeHeader)
	pointer []string // unescaped reference tokens (scopeJSON)
}

// errNoScope reports a request that does not say who its caller is: no
// scope header, or no value at the scope's JSON pointer.
var errNoScope = errors.New("no caller scope")

// parseScope parses "none", "header:<Name>" or "json:<pointer>".
func parseScope(spec string) (scopeSource, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "none":
		if arg != "" {
			return scopeSource{}, fmt.Errorf("%q: none takes no argument", spec)
		}
		return scopeSource{kind: scopeNone}, nil
	case "header":
		if !validHeaderName(arg) {
			return scopeSource{}, fmt.Errorf("%q: %q is not a header name", spec, arg)
		}
		return scopeSource{kind: scopeHeader, header: http.CanonicalHeaderKey(arg)}, nil
	case "json":
		tokens, err := parsePointer(arg)
		if err != nil {
			return scopeSource{}, fmt.Errorf("%q: %w", spec, err)
		}
		return scopeSource{kind: scopeJSON, pointer: tokens}, nil
	}
	return scopeSource{}, fmt.Errorf("%q is not none, header:<Name> or json:<pointer>", spec)
}

// parsePointer splits an RFC 6901 JSON pointer into unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" || p[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q must start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, part := range parts {
		for j := 0; j < len(part); j++ {
			if part[j] == '~' && (j+1 >= len(part) || (part[j+1] != '0' && part[j+1] != '1')) {
				return nil, fmt.Errorf("JSON pointer %q has a ~ not followed by 0 or 1", p)
			}
		}
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
	}
	return parts, nil
}

// needsJSON reports whether the scope reads the decoded body.
func (s scopeSource) needsJSON() bool { return s.kind == scopeJSON }

// value returns the caller's identity: the header's value, normalised (see
// normalizeScopeHeader), or the canonical JSON of the pointed-at body value.
// doc is the decoded body (scopeJSON only; nil when the body is not JSON).
// A request that names no caller gets errNoScope: a blank or absent header,
// a missing or null JSON value.
func (s scopeSource) value(r *http.Request, doc any) (string, error) {
	switch s.kind {
	case scopeHeader:
		v := normalizeScopeHeader(s.header, r.Header[s.header])
		if v == "" {
			return "", errNoScope
		}
		return v, nil
	case scopeJSON:
		v, ok := lookupPointer(doc, s.pointer)
		if !ok || v == nil {
			return "", errNoScope
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", errNoScope
		}
		return string(b), nil
	}
	return "", nil
}

// String spells the source as the configuration does, for messages.
func (s scopeSource) String() string {
	switch s.kind {
	case scopeHeader:
		return "header:" + s.header
	case scopeJSON:
		var b strings.Builder
		for _, tok := range s.pointer {
			b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
		}
		return "json:" + b.String()
	}
	return "none"
}

// missing says what a request without a caller lacks, for the 400.
func (s scopeSource) missing() string {
	if s.kind == scopeHeader {
		return "it has no " + s.header + " header naming one"
	}
	return "its body has no value at the JSON pointer " + strings.TrimPrefix(s.String(), "json:")
}

func lookupPointer(doc any, tokens []string) (any, bool) {
	cur := doc
	for _, tok := range tokens {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			cur = node[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
