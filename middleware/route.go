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
	segments []string // Path split on "/"; "{...}" matches any one segment
	prefix   string
	methods  []string

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
		name:    r.Name,
		prefix:  r.PathPrefix,
		methods: canonicalMethods(r.Methods),
		policy:  p,
		exclude: make(map[string]bool, len(p.ReplayExcludeHeaders)),
	}
	if r.Path != "" {
		rt.segments = strings.Split(r.Path, "/")
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

// matches reports whether the route covers the request; it allocates
// nothing, since every request of the server goes through it.
func (rt *route) matches(r *http.Request) bool {
	covered := false
	for _, m := range rt.methods {
		if r.Method == m {
			covered = true
			break
		}
	}
	if !covered {
		return false
	}
	path := r.URL.Path
	switch {
	case rt.segments != nil:
		var got string
		more := true
		for i, seg := range rt.segments {
			got, path, more = strings.Cut(path, "/")
			if !more && i != len(rt.segments)-1 {
				return false
			}
			if len(seg) > 1 && seg[0] == '{' && seg[len(seg)-1] == '}' {
				if got == "" {
					return false
				}
			} else if got != seg {
				return false
			}
		}
		return !more // the pattern must consume the whole path
	case rt.prefix != "":
		return strings.HasPrefix(path, rt.prefix)
	}
	return true
}
