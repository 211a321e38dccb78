package middleware

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// route is a Route resolved at construction: policy inherited and parsed.
type route struct {
	name     string
	segments []string // Path, normalised, split on "/"; "{...}" matches any one segment
	prefix   string   // PathPrefix, normalised
	// prefixDir is set when PathPrefix ended in "/": it then covers the
	// directory and what is under it ("/api/" covers /api and /api/x, not
	// /apix), where a prefix without one is a plain string prefix.
	prefixDir     bool
	caseSensitive bool
	methods       []string

	policy             Policy
	scope              scopeSource
	statuses           *statusTable
	exclude            map[string]bool // canonical names of headers not stored
	fingerprintHeaders []string        // canonical names
	metrics            *routeMetrics
}

// newRoute resolves r under parent (the Config's Policy over the defaults;
// configured is the Config's Policy alone, whose status actions the route's
// own beat). Problems the parent has are in reported already and are not
// repeated.
func newRoute(r Route, configured, parent Policy, index int, reported map[fieldError]bool) (*route, []error) {
	p := r.Policy.inherit(parent)
	prefix := "Routes[" + strconv.Itoa(index) + "]."
	errs := configErrors(prefix, p.validate(), reported)
	if r.Path != "" && r.PathPrefix != "" {
		errs = append(errs, fmt.Errorf("%sPath and PathPrefix: set one, not both", prefix))
	}
	for _, f := range []struct{ name, v string }{{"Path", r.Path}, {"PathPrefix", r.PathPrefix}} {
		if f.v != "" && f.v[0] != '/' {
			errs = append(errs, fmt.Errorf("%s%s: %q must start with /", prefix, f.name, f.v))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	rt := &route{
		name:          r.Name,
		caseSensitive: r.CaseSensitive,
		methods:       canonicalMethods(r.Methods),
		policy:        p,
		exclude:       make(map[string]bool, len(p.ReplayExcludeHeaders)),
	}
	if r.Path != "" {
		rt.segments = strings.Split(normalizePath(r.Path), "/")
	}
	if r.PathPrefix != "" {
		rt.prefix = normalizePath(r.PathPrefix)
		rt.prefixDir = strings.HasSuffix(r.PathPrefix, "/") && rt.prefix != "/"
	}
	if rt.name == "" {
		rt.name = r.Path + r.PathPrefix
		if rt.name == "" {
			rt.name = "default"
		}
	}
	rt.scope, _ = parseScope(p.Scope)                                       // validated above
	rt.statuses, _ = newStatusTable(configured.Statuses, r.Policy.Statuses) // validated above
	for _, h := range p.ReplayExcludeHeaders {
		rt.exclude[http.CanonicalHeaderKey(h)] = true
	}
	for _, h := range p.FingerprintHeaders {
		rt.fingerprintHeaders = append(rt.fingerprintHeaders, http.CanonicalHeaderKey(h))
	}
	return rt, nil
}

// matches reports whether the route covers a request: its method, and its
// path normalised or in its lenient form (see requestPath). It allocates
// nothing, since every request of the server goes through it.
func (rt *route) matches(method string, p reqPath) bool {
	covered := false
	for _, m := range rt.methods {
		if method == m {
			covered = true
			break
		}
	}
	return covered && (rt.matchPath(p.norm) || p.lenient != p.norm && rt.matchPath(p.lenient) || p.format != p.lenient && rt.matchPath(p.format))
}

func (rt *route) matchPath(path string) bool {
	switch {
	case rt.segments != nil:
		var got string
		more := true
		for i, seg := range rt.segments {
			got, path, more = strings.Cut(path, "/")
			if !more && i != len(rt.segments)-1 {
				return false
			}
			if isParam(seg) {
				if got == "" {
					return false
				}
			} else if !rt.equal(got, seg) {
				return false
			}
		}
		return !more // the pattern must consume the whole path
	case rt.prefix == "/":
		return true
	case rt.prefix != "":
		if len(path) < len(rt.prefix) || !rt.equal(path[:len(rt.prefix)], rt.prefix) {
			return false
		}
		return !rt.prefixDir || len(path) == len(rt.prefix) || path[len(rt.prefix)] == '/'
	}
	return true
}

func (rt *route) equal(got, want string) bool {
	if rt.caseSensitive {
		return got == want
	}
	return strings.EqualFold(got, want)
}

func isParam(seg string) bool { return len(seg) > 1 && seg[0] == '{' && seg[len(seg)-1] == '}' }

// fingerprintPath is the path a covered request is fingerprinted by: the
// form that matched (norm, else lenient; see reqPath), with the route's own
// spelling of what it matched case-insensitively, so /Orders and /orders
// are one request while /orders/ABC and /orders/abc stay two. A path only
// its format form matched (/orders.json) is fingerprinted as norm.
func (rt *route) fingerprintPath(p reqPath) string {
	path := p.norm
	switch {
	case rt.matchPath(p.norm):
	case rt.matchPath(p.lenient):
		path = p.lenient
	default:
		return p.norm
	}
	if rt.caseSensitive {
		return path
	}
	switch {
	case rt.segments != nil:
		got := strings.Split(path, "/")
		changed := false
		for i, seg := range rt.segments {
			if !isParam(seg) && got[i] != seg {
				got[i], changed = seg, true
			}
		}
		if changed {
			return strings.Join(got, "/")
		}
	case rt.prefix != "" && rt.prefix != "/":
		if path[:len(rt.prefix)] != rt.prefix {
			return rt.prefix + path[len(rt.prefix):]
		}
	}
	return path
}
