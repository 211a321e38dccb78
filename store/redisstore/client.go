package redisstore

import (
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client settings NewClient applies where the options leave them zero.
//
// The store's operations are single sub-millisecond scripts, and a request
// that cannot reach Redis should fail fast into the middleware's fail mode
// (503 or pass-through) rather than hang for go-redis's 5 s defaults.
const (
	// DefaultDialTimeout bounds a connect (TLS handshake included).
	DefaultDialTimeout = time.Second
	// DefaultReadTimeout and DefaultWriteTimeout bound one command. A
	// 1 MiB response body crosses a LAN in milliseconds; a second is a
	// stalled server (a fork, a slow disk under appendfsync), not a slow
	// command.
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	// DefaultPoolTimeout bounds the wait for a free connection when the
	// pool is exhausted: queueing longer only hides an undersized pool.
	DefaultPoolTimeout = time.Second
	// DefaultMaxRetries: a command that failed on the network (a reset
	// connection, a failover's READONLY/LOADING) is sent again up to twice.
	// Safe because every script is idempotent for its caller (see the
	// package doc: same-owner claims, nonces on Finish and Release); two
	// retries cover a reconnect after a failover without multiplying the
	// time a dead server takes to be reported. MaxRetries 0 means this
	// default (go-redis reads 0 as "the default" too); -1 means none.
	DefaultMaxRetries      = 2
	DefaultMinRetryBackoff = 8 * time.Millisecond
	DefaultMaxRetryBackoff = 256 * time.Millisecond
	// DefaultMaxRedirects (Cluster only) is how many times a command
	// follows a MOVED or ASK redirect or, after a failover, tries another
	// node: one MOVED after a slot moved, one ASK while it migrates, one
	// more after a failover. Each attempt goes through a node client that
	// retries MaxRetries times, so one command is sent at most
	// (MaxRetries+1) × (MaxRedirects+1) times (12 with the defaults). That
	// product is bounded in time by the caller's deadline, which the
	// middleware always passes (ContextTimeoutEnabled is on), not by the
	// count.
	DefaultMaxRedirects = 3
)

// DefaultPoolSize is the connection pool size per node: 10 per CPU, which
// go-redis also picks. A request holds a connection for one round trip at
// a time (two per first request, one per replay), so 10 per CPU carries
// tens of thousands of requests per second per CPU on a LAN; raise it with
// pool_size when Redis is farther away (pool = throughput × round trip).
func DefaultPoolSize() int { return 10 * runtime.GOMAXPROCS(0) }

// NewClient returns a go-redis client for opts (as ParseURL makes them):
// standalone, Sentinel-backed when MasterName is set, Cluster when several
// addresses are given or IsClusterMode is set. Zero fields get the
// defaults above, and:
//
//   - ContextTimeoutEnabled is always on, so a request's deadline also
//     bounds its Redis calls;
//   - DialerRetries is 1: go-redis's own dial retries (5 by default, with
//     backoff) would multiply DialTimeout inside one command, and the
//     command retries above already cover a failed dial.
//
// MinIdleConns stays 0: connections a burst opened stay pooled (for
// ConnMaxIdleTime, 30 min), and a minimum would make the pool redial in the
// background, logging every failure, the whole time Redis is down.
//
// Values go-redis does not define are never passed on, so NewClient never
// panics and never builds a client that cannot work: a negative PoolSize
// (go-redis panics), DialTimeout or PoolTimeout (every dial or wait would
// fail at once), or ReadTimeout or WriteTimeout below -2 (every command
// would time out) gets the default; a negative MinIdleConns, MaxIdleConns
// or MaxActiveConns becomes 0, and a MaxRetries below -1 becomes -1 (no
// retries), a MaxRedirects below -1 becomes -1 (no redirect followed).
// -1 and -2 keep go-redis's meaning for the read and write timeouts.
//
// opts is changed in place; the caller owns the returned client.
func NewClient(opts *redis.UniversalOptions) redis.UniversalClient {
	clampNegative(opts)
	setDefault(&opts.DialTimeout, DefaultDialTimeout)
	setDefault(&opts.ReadTimeout, DefaultReadTimeout)
	setDefault(&opts.WriteTimeout, DefaultWriteTimeout)
	setDefault(&opts.PoolTimeout, DefaultPoolTimeout)
	setDefault(&opts.MaxRetries, DefaultMaxRetries)
	setDefault(&opts.MinRetryBackoff, DefaultMinRetryBackoff)
	setDefault(&opts.MaxRetryBackoff, DefaultMaxRetryBackoff)
	setDefault(&opts.PoolSize, DefaultPoolSize())
	setDefault(&opts.MaxRedirects, DefaultMaxRedirects)
	setDefault(&opts.DialerRetries, 1)
	opts.ContextTimeoutEnabled = true
	return redis.NewUniversalClient(opts)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// clampNegative zeroes (so that the defaults apply) or bounds the options
// whose negative values go-redis does not define; see NewClient.
func clampNegative(o *redis.UniversalOptions) {
	for _, d := range []*time.Duration{&o.DialTimeout, &o.PoolTimeout} {
		if *d < 0 {
			*d = 0
		}
	}
	for _, d := range []*time.Duration{&o.ReadTimeout, &o.WriteTimeout} {
		if *d < -2 {
			*d = 0
		}
	}
	for _, n := range []*int{&o.PoolSize, &o.MinIdleConns, &o.MaxIdleConns, &o.MaxActiveConns} {
		if *n < 0 {
			*n = 0
		}
	}
	// Below -1, go-redis makes no attempt at all and answers nil.
	if o.MaxRetries < -1 {
		o.MaxRetries = -1
	}
	if o.MaxRedirects < -1 {
		o.MaxRedirects = -1
	}
}
