package redisstore

import (
	"crypto/tls"
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
// Query parameters (all optional): dial_timeout, read_timeout,
// write_timeout, pool_timeout (Go durations, e.g. 500ms), pool_size,
// min_idle_conns, max_retries (integers; max_retries=-1 disables retries),
// protocol (2 or 3), client_name, db (unix form), sentinel_username,
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
		return nil, fmt.Errorf("redisstore: URL scheme %q is not one of redis, rediss, unix, redis+cluster, rediss+cluster, redis+sentinel, rediss+sentinel", scheme)
	}
	if strings.HasPrefix(scheme, "rediss") {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}

	// The authority may list several hosts, which net/url refuses for
	// IPv6 literals; split it by hand and let net/url parse the rest.
	authority, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	hosts := authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		hosts = authority[i+1:]
		u, err := url.Parse("redis://" + authority[:i] + "@h")
		if err != nil || u.User == nil {
			return nil, fmt.Errorf("redisstore: URL %q: bad user info", redact(rawURL))
		}
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	u, err := url.Parse("redis://h" + pathQuery)
	if err != nil {
		return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
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
	if err := parseQuery(opts, kind, u.Query()); err != nil {
		return nil, fmt.Errorf("redisstore: URL %q: %v", redact(rawURL), err)
	}
	return opts, nil
}

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

func parseQuery(opts *redis.UniversalOptions, kind string, q url.Values) error {
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
	for name, vs := range q {
		v := vs[len(vs)-1]
		var err error
		switch {
		case durations[name] != nil:
			var d time.Duration
			if d, err = time.ParseDuration(v); err == nil && d <= 0 {
				err = fmt.Errorf("not positive")
			}
			*durations[name] = d
		case ints[name] != nil:
			*ints[name], err = strconv.Atoi(v)
		case strs[name] != nil:
			*strs[name] = v
		default:
			return fmt.Errorf("unknown parameter %q", name)
		}
		if err != nil {
			return fmt.Errorf("parameter %s=%q: %v", name, v, err)
		}
	}
	if opts.Protocol != 0 && opts.Protocol != 2 && opts.Protocol != 3 {
		return fmt.Errorf("protocol must be 2 or 3, got %d", opts.Protocol)
	}
	return nil
}

// secretParam matches the one query parameter that holds a secret.
var secretParam = regexp.MustCompile(`(sentinel_password=)[^&]*`)

// redact hides the passwords of a URL for error messages.
func redact(rawURL string) string {
	rawURL = secretParam.ReplaceAllString(rawURL, "${1}xxxxx")
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(unparsable URL)"
	}
	authEnd := len(rest)
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authEnd = i
	}
	at := strings.LastIndexByte(rest[:authEnd], '@')
	if at < 0 {
		return rawURL
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
}
