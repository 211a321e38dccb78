package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store"
)

// Client is what the store needs of a go-redis client: scripts, PING,
// pipelines (a large response is SET beside the script that finishes its
// record), and subscriptions for Wait. *redis.Client (standalone or
// Sentinel-backed), *redis.ClusterClient and redis.UniversalClient satisfy
// it, and so does a test double wrapping one.
type Client interface {
	redis.Scripter
	Pipeline() redis.Pipeliner
	Ping(ctx context.Context) *redis.StatusCmd
	Subscribe(ctx context.Context, channels ...string) *redis.PubSub
}

// Config holds the Store's optional settings; the zero value is the
// default of every field.
type Config struct {
	// KeyPrefix starts every Redis key (and Wait channel) of the store, so
	// that several applications can share a Redis. It must not contain a
	// brace, which would move the key's hash tag. An ACL user needs the
	// keys ~<prefix>* and, for Wait, the channels &<prefix>*. Default:
	// "idem:".
	KeyPrefix string

	// CompressMinSize is the encoded size from which a stored response is
	// compressed (S2); compression is kept only when it saves at least an
	// eighth. Negative: never compress. Default: 8192.
	CompressMinSize int

	// MaxWaiters bounds the Wait calls in progress at once on this Store.
	// Past it Wait returns ErrTooManyWaiters at once. Default: 4096.
	MaxWaiters int

	// MaxWait bounds one Wait call, whatever its context; Wait then returns
	// context.DeadlineExceeded. Default: 1 minute.
	MaxWait time.Duration

	// MaxResponseSize bounds a stored response: its status, headers and
	// body, before compression. Finish records a larger response as
	// completed but not replayable (as the middleware does past its
	// max_response_body), and a replay refuses a stored value that is or
	// claims more, so that a damaged or foreign value cannot make it
	// allocate without bound. Keep it above the middleware's
	// max_response_body plus room for headers. Default: 16 MiB.
	MaxResponseSize int
}

// Defaults of Config.
const (
	DefaultKeyPrefix       = "idem:"
	DefaultCompressMinSize = 8 << 10
	DefaultMaxWaiters      = 4096
	DefaultMaxWait         = time.Minute
	DefaultMaxResponseSize = 16 << 20
)

// releaseTombstone is how long a released or deleted record leaves its
// tombstone: long enough for a client retry of the Release or Delete to
// find it, short enough to cost nothing.
const releaseTombstone = 10 * time.Second

// Store is the Redis backend of store.Store.
type Store struct {
	client      Client
	prefix      string
	compressMin int
	maxWait     time.Duration
	maxResponse int
	waits       *waiters

	// clockOffset (ms) is added to the Redis clock by every script. It is
	// always 0 in production; tests move time forward with it.
	clockOffset atomic.Int64
	// server estimates the Redis server's own clock (without clockOffset),
	// for the claims' not-after deadlines.
	server serverClock
	// waitBlocked, when set (by tests only), is called with the channel of
	// a Wait that is blocked on its notification; see Wait.
	waitBlocked atomic.Pointer[func(channel string)]
}

var _ store.Store = (*Store)(nil)

// New returns a Store on client. It does not check the server; see
// CheckServer.
func New(client Client, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return nil, fmt.Errorf("redisstore: KeyPrefix %q contains a brace, which would change the keys' hash tag", cfg.KeyPrefix)
	}
	switch {
	case cfg.CompressMinSize == 0:
		cfg.CompressMinSize = DefaultCompressMinSize
	case cfg.CompressMinSize < 0:
		cfg.CompressMinSize = 0
	}
	if cfg.MaxWaiters < 0 || cfg.MaxWait < 0 || cfg.MaxResponseSize < 0 {
		return nil, fmt.Errorf("redisstore: negative MaxWaiters %d, MaxWait %v or MaxResponseSize %d", cfg.MaxWaiters, cfg.MaxWait, cfg.MaxResponseSize)
	}
	if cfg.MaxResponseSize == 0 {
		cfg.MaxResponseSize = DefaultMaxResponseSize
	}
	if cfg.MaxWaiters == 0 {
		cfg.MaxWaiters = DefaultMaxWaiters
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	return &Store{
		client:      client,
		prefix:      cfg.KeyPrefix,
		compressMin: cfg.CompressMinSize,
		maxWait:     cfg.MaxWait,
		maxResponse: cfg.MaxResponseSize,
		waits:       newWaiters(client, cfg.MaxWaiters),
	}, nil
}

// Close ends the store's subscription; Wait calls in progress return nil
// (their callers claim again) and later ones return ErrClosed. It does not
// close the client, which the caller owns.
func (s *Store) Close() error {
	s.waits.close()
	return nil
}

// redisKey is the key of k's record: <prefix>{<scope>:<id>}. The braces make
// the whole (scope, id) the hash tag, so each record lives in one slot and
// records spread over a Cluster. k is validated: its parts hold no brace.
func (s *Store) redisKey(k store.Key) string {
	return s.prefix + "{" + k.Scope + ":" + k.ID + "}"
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

func (s *Store) offset() string { return strconv.FormatInt(s.clockOffset.Load(), 10) }

// millis converts a positive duration to whole milliseconds, rounding up
// so that a sub-millisecond lease is not zero.
func millis(name string, d time.Duration) (int64, error) {
	if d <= 0 {
		return 0, fmt.Errorf("redisstore: %s must be positive, got %v", name, d)
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond), nil
}

// nonce names one Finish or Release call. A go-redis retry resends the same
// arguments, hence the same nonce, which the scripts recognize.
func nonce() string { return strconv.FormatUint(rand.Uint64(), 36) }

func checkOwner(owner string) error {
	if owner == "" {
		return errors.New("redisstore: empty owner token")
	}
	return nil
}
