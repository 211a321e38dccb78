package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ParseURL parses a Redis URL into options for NewClient. The forms:
//
//	redis://[user[:password]@]host[:port][/db]              standalone
//	rediss://...                                            the same over TLS
//	unix://[user[:password]@]/path/to/redis.sock[?db=N]     standalone, unix socket
//	redis+cluster://[user[:password]@]host:port[,host:port...]    Cluster (seed nodes)
//	rediss+cluster://...                                    Cluster over TLS
//	redis+sentinel://[user[:password]@]host:port[,host:port...]/master[/db]
//	rediss+sentinel://...                                   Sentinel over TLS
//
// The port defaults to 6379 (26379 for sentinels). user and password are
// the data nodes' ACL credentials (user may be empty: requirepass); for a
// Sentinel they are not the sentinels' own, which go in the
// sentinel_username and sentinel_password parameters. IPv6 hosts are
// written in brackets. TLS verifies the server certificate against the
// system roots, with the server name taken from each address.
//
// The user info ends at the last '@' of the URL; a '/', '?' or '#' in it
// must be percent-encoded (%2F, %3F, %23), and so must '&', '@', '#' and
// '%' in a query value such as sentinel_password. Errors never show a
// password: the user info is masked, and so is the query from a password
// parameter on.
//
// Query parameters (all optional): dial_timeout, read_timeout,
// write_timeout, pool_timeout (positive Go durations, e.g. 500ms),
// pool_size (1 or more), min_idle_conns (0 or more), max_retries (-1 or
// more: -1 disables retries, and 0, like no parameter, means NewClient's
// default of 2, as go-redis reads 0 as "the default"), protocol (2 or 3),
// client_name, db (unix form, 0 or more), sentinel_username,
// sentinel_password. Unknown parameters are errors.
func ParseURL(rawURL string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("redisstore: URL %q has no scheme", redact(rawURL))
	}
	opts := &redis.UniversalOptions{}
	var kind string // "", "cluster", "sentinel", "unix"
	switch scheme {
	case "redis", "rediss":
	case "redis+cluster", "rediss+cluster":
		kind = "cluster"
	case "redis+sentinel", "rediss+sentinel":
		kind = "sentinel"
	case "unix":
		kind = "unix"
	default:
		// Quoted only when it has a scheme's syntax: text with a ':' or an
		// '@' before "://" is more likely user info than a scheme.
		shown := "of " + strconv.Quote(scheme)
		if !schemeSyntax.MatchString(scheme) {
			shown = "before ://"
		}
		return nil, fmt.Errorf("redisstore: URL scheme %s is not one of redis, rediss, unix, redis+cluster, rediss+cluster, redis+sentinel, rediss+sentinel", shown)
	}
	if strings.HasPrefix(scheme, "rediss") {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}

	// The user info ends at the last '@' (a password may hold '@'), found
	// before the path and query are split off: a password with an
	// unencoded '/' or '?' would otherwise be read as a host or a path,
	// and shown in the error. Such a password is refused instead.
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		userinfo := rest[:i]
		rest = rest[i+1:]
		if strings.ContainsAny(userinfo, "/?#") {
			return nil, fmt.Errorf("redisstore: URL %q: userinfo must be percent-encoded", redact(rawURL))
		}
		u, err := url.Parse("redis://" + userinfo + "@h")
		if err != nil || u.User == nil {
			return nil, fmt.Errorf("redisstore: URL %q: bad user info", redact(rawURL))
		}
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	// The authority may list several hosts, which net/url refuses for
	// IPv6 literals; split it by hand and let net/url parse the rest.
	hosts, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hosts, pathQuery = rest[:i], rest[i:]
	}
	u, err := url.Parse("redis://h" + pathQuery)
	if err != nil {
		// Only the cause: a *url.Error prints the whole URL, query
		// (sentinel_password) and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("redisstore: URL %q: unexpected fragment", redact(rawURL))
	}
	path := strings.Trim(u.Path, "/")

	switch kind {
	case "unix":
		if hosts != "" || u.Path == "" {
			return nil, fmt.Errorf("redisstore: URL %q: want unix:///path/to/socket", redact(rawURL))
		}
		opts.Addrs = []string{u.Path}
		path = ""
	default:
		port := "6379"
		if kind == "sentinel" {
			port = "26379"
		}
		if opts.Addrs, err = splitHosts(hosts, port); err != nil {
			return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
		}
		if kind == "" && len(opts.Addrs) > 1 {
			return nil, fmt.Errorf("redisstore: URL %q lists several hosts: use redis+cluster:// or redis+sentinel://", redact(rawURL))
		}
	}
	if err := parsePath(opts, kind, path); err != nil {
		return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
	}
	if kind == "cluster" {
		opts.IsClusterMode = true // even with a single seed node
	}
	if err := parseQuery(opts, kind, u.RawQuery); err != nil {
		return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
	}
	return opts, nil
}

// schemeSyntax is RFC 3986's scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
var schemeSyntax = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

func splitHosts(hosts, defaultPort string) ([]string, error) {
	if hosts == "" {
		return nil, fmt.Errorf("no host")
	}
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		host, port := h, defaultPort
		var err error
		switch {
		case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"): // [v6]
			host = h[1 : len(h)-1]
		case strings.Contains(h, ":"): // host:port, [v6]:port
			host, port, err = net.SplitHostPort(h)
		}
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || host == "" || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad host %q", h)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}

// parsePath reads /db (standalone), nothing (cluster), /master[/db]
// (sentinel).
func parsePath(opts *redis.UniversalOptions, kind, path string) error {
	parts := strings.Split(path, "/")
	if path == "" {
		parts = nil
	}
	db := ""
	switch kind {
	case "cluster", "unix":
		if len(parts) > 0 {
			return fmt.Errorf("unexpected path %q", path)
		}
	case "sentinel":
		if len(parts) == 0 || len(parts) > 2 || parts[0] == "" {
			return fmt.Errorf("want /master[/db] after the sentinels")
		}
		opts.MasterName = parts[0]
		if len(parts) == 2 {
			db = parts[1]
		}
	default:
		if len(parts) > 1 {
			return fmt.Errorf("unexpected path %q", path)
		}
		if len(parts) == 1 {
			db = parts[0]
		}
	}
	if db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return fmt.Errorf("bad database number %q", db)
		}
		opts.DB = n
	}
	return nil
}

// minInt is the least value of each integer parameter: go-redis panics on
// a negative pool size and reads other negative values as something else
// than what they say (max_retries=-1 alone means none).
var minInt = map[string]int{"pool_size": 1, "min_idle_conns": 0, "max_retries": -1, "protocol": 2, "db": 0}

// parseQuery reads the query parameters in order (the last of a repeated
// one wins). It walks the raw query itself rather than url.Values so that
// its errors never quote a value that may be a password: a bad escape is
// not quoted, and an unknown parameter after a password parameter is not
// named, since it is likely the password's tail cut at an unencoded '&'.
func parseQuery(opts *redis.UniversalOptions, kind, rawQuery string) error {
	durations := map[string]*time.Duration{
		"dial_timeout":  &opts.DialTimeout,
		"read_timeout":  &opts.ReadTimeout,
		"write_timeout": &opts.WriteTimeout,
		"pool_timeout":  &opts.PoolTimeout,
	}
	ints := map[string]*int{
		"pool_size":      &opts.PoolSize,
		"min_idle_conns": &opts.MinIdleConns,
		"max_retries":    &opts.MaxRetries,
		"protocol":       &opts.Protocol,
	}
	strs := map[string]*string{"client_name": &opts.ClientName}
	if kind == "sentinel" {
		strs["sentinel_username"] = &opts.SentinelUsername
		strs["sentinel_password"] = &opts.SentinelPassword
	}
	if kind == "unix" {
		ints["db"] = &opts.DB
	}
	afterPassword := false
	for _, param := range strings.Split(rawQuery, "&") {
		if param == "" {
			continue
		}
		if strings.Contains(param, ";") {
			return errors.New("a query parameter holds ';': separate parameters with '&', percent-encode ';' in values")
		}
		rawName, rawValue, _ := strings.Cut(param, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return errors.New("a query parameter name has a bad percent-escape")
		}
		v, err := url.QueryUnescape(rawValue)
		if err != nil {
			return fmt.Errorf("parameter %s has a bad percent-escape", name)
		}
		// Errors name the parameter, not its value: an unencoded '?' or
		// '@' in a password may have landed in it.
		switch {
		case durations[name] != nil:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("parameter %s: want a positive duration such as 500ms", name)
			}
			*durations[name] = d
		case ints[name] != nil:
			n, err := strconv.Atoi(v)
			if err != nil || n < minInt[name] {
				return fmt.Errorf("parameter %s: want an integer from %d on", name, minInt[name])
			}
			*ints[name] = n
		case strs[name] != nil:
			*strs[name] = v
		case afterPassword:
			return errors.New("unknown parameter after sentinel_password: percent-encode '&' in the password")
		default:
			return fmt.Errorf("unknown parameter %q", name)
		}
		afterPassword = afterPassword || name == "sentinel_password"
	}
	if opts.Protocol != 0 && opts.Protocol != 2 && opts.Protocol != 3 {
		return fmt.Errorf("protocol must be 2 or 3, got %d", opts.Protocol)
	}
	return nil
}

// redact hides the secrets of a URL for error messages: everything before
// the last '@' (the user info, or more when an '@' sits further on, which
// ParseURL refuses anyway); everything after the '=' of the first
// parameter whose name holds "password" (its value may go on past an
// unencoded '&' or '@'); and every later parameter whose name cannot be
// decoded. Parameters are found by splitting at '&', ';' and '?' anywhere,
// wider than net/url does, so that no misplaced separator hides one. Each
// run of hidden bytes prints as "xxxxx".
func redact(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(unparsable URL)"
	}
	hide := make([]bool, len(rest))
	mask := func(from, to int) {
		for i := from; i < to; i++ {
			hide[i] = true
		}
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		mask(0, at)
	}
	for start, first := 0, true; start < len(rest); first = false {
		end := len(rest)
		if i := strings.IndexAny(rest[start:], "&;?"); i >= 0 {
			end = start + i
		}
		name, _, hasValue := strings.Cut(rest[start:end], "=")
		decoded, err := url.QueryUnescape(name)
		switch {
		case hasValue && strings.Contains(strings.ToLower(decoded), "password"):
			mask(start+len(name)+1, len(rest))
		case err != nil && !first:
			mask(start, end)
		}
		start = end + 1
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	for i := 0; i < len(rest); i++ {
		if !hide[i] {
			b.WriteByte(rest[i])
		} else if i == 0 || !hide[i-1] {
			b.WriteString("xxxxx")
		}
	}
	return b.String()
}
