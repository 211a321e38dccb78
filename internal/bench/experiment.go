package bench

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/store"
)

// Experiments are what-if switches of the profiling build (idembench idem
// and plain -experiments): each measures the gain a product change would
// bring before anyone makes it, by wrapping the product's own pieces from
// outside (store.Store, redisstore.Client, ReverseProxy.BufferPool). They
// are measuring instruments, not the product's code: the cache below, for
// one, knows nothing of operator deletes on other replicas.
type Experiments struct {
	// ReplayCache serves COMPLETED records from a process-local cache
	// filled by this process's finishes and replays: a replay without a
	// round trip.
	ReplayCache bool
	// Batch sends the store scripts of concurrent requests together, as
	// one pipeline (a write and a read for many scripts, on both sides).
	Batch bool
	// BufferPool gives the ReverseProxy a pool of copy buffers instead of a
	// new 32 KiB buffer per response (plain proxy too). internal/upstream's
	// NewProxy, and so cmd/idemproxy and NewPlainProxy, now always has one,
	// so the switch does nothing; it is kept so old command lines still
	// parse.
	BufferPool bool
	// FullDuplex lets the proxy read a request body after it began writing
	// the response (http.ResponseController.EnableFullDuplex): without it
	// net/http closes the inbound body when the response starts, and the
	// transport's last read of a streamed body fails and cuts the response
	// (golang/go#40747; about 0.3% of 1 MiB requests here). Plain proxy too.
	FullDuplex bool
}

// wrap applies the experiments that wrap the proxy's handler. Full duplex
// is now always on, as in cmd/idemproxy, by the same wrapper (the FullDuplex switch is kept so
// old command lines still parse).
func (x Experiments) wrap(h http.Handler) http.Handler {
	return upstream.FullDuplex(h)
}

// ParseExperiments parses a comma-separated list: cache, batch, bufferpool,
// fullduplex.
func ParseExperiments(s string) (Experiments, error) {
	var x Experiments
	for name := range strings.SplitSeq(s, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "cache":
			x.ReplayCache = true
		case "batch":
			x.Batch = true
		case "bufferpool":
			x.BufferPool = true
		case "fullduplex":
			x.FullDuplex = true
		default:
			return x, fmt.Errorf("unknown experiment %q: want cache, batch, bufferpool or fullduplex", name)
		}
	}
	return x, nil
}

// cacheStore serves replays of COMPLETED records from memory: entries come
// from this process's own finishes (the fingerprint remembered from its
// claim) and from replays the store answered, and live until the record's
// TTL from the finish, or maxCacheAge for replays (whose expiry the store
// does not report). At most maxCacheEntries; a full cache drops an entry.
type cacheStore struct {
	store.Store
	mu      sync.Mutex
	entries map[store.Key]cacheEntry
	claimed map[store.Key]store.Fingerprint // claims in flight
}

type cacheEntry struct {
	fp      store.Fingerprint
	resp    *store.Response
	expires time.Time
}

const (
	maxCacheEntries = 10_000
	maxCacheAge     = 10 * time.Second
)

func newCacheStore(s store.Store) *cacheStore {
	return &cacheStore{Store: s, entries: map[store.Key]cacheEntry{}, claimed: map[store.Key]store.Fingerprint{}}
}

func (c *cacheStore) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	c.mu.Lock()
	e, ok := c.entries[req.Key]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		if e.fp != req.Fingerprint {
			return store.ClaimResult{Outcome: store.Mismatch}, nil
		}
		return store.ClaimResult{Outcome: store.Replay, Status: e.resp.Status, Response: e.resp}, nil
	}
	res, err := c.Store.Claim(ctx, req)
	if err != nil {
		return res, err
	}
	c.mu.Lock()
	switch res.Outcome {
	case store.Claimed:
		c.claimed[req.Key] = req.Fingerprint
	case store.Replay:
		c.putLocked(req.Key, cacheEntry{fp: req.Fingerprint, resp: res.Response, expires: time.Now().Add(maxCacheAge)})
	}
	c.mu.Unlock()
	return res, nil
}

func (c *cacheStore) Finish(ctx context.Context, req store.FinishRequest) error {
	err := c.Store.Finish(ctx, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	fp, ok := c.claimed[req.Key]
	delete(c.claimed, req.Key)
	if err == nil && ok && req.State == store.Completed && req.Response != nil {
		// Finish's caller reuses the response's buffers: keep a copy.
		r := req.Response
		h := make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			h[k] = slices.Clip(slices.Clone(vs))
		}
		c.putLocked(req.Key, cacheEntry{fp: fp, resp: &store.Response{Status: r.Status, Header: h, Body: slices.Clone(r.Body)},
			expires: time.Now().Add(req.TTL)})
	}
	return err
}

func (c *cacheStore) Release(ctx context.Context, key store.Key, owner string) error {
	c.mu.Lock()
	delete(c.claimed, key)
	c.mu.Unlock()
	return c.Store.Release(ctx, key, owner)
}

func (c *cacheStore) Delete(ctx context.Context, key store.Key) error {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
	return c.Store.Delete(ctx, key)
}

func (c *cacheStore) putLocked(k store.Key, e cacheEntry) {
	if len(c.entries) >= maxCacheEntries {
		for old := range maps.Keys(c.entries) {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = e
}

// batchClient sends the EVALSHAs of concurrent callers together: a caller
// queues its script, and each of a few flushers takes whatever is queued
// (one script when the proxy is idle, many under load) and sends it as one
// pipeline. Everything else goes to the client as is; a NOSCRIPT answer
// makes redis.Script.Run fall back to a plain EVAL on the client.
type batchClient struct {
	redis.UniversalClient
	queue chan *batchCall
}

type batchCall struct {
	sha  string
	keys []string
	args []any
	cmd  *redis.Cmd
	done chan struct{}
}

const (
	batchFlushers = 4
	maxBatch      = 64
	batchTimeout  = 2 * time.Second
)

func newBatchClient(c redis.UniversalClient) *batchClient {
	b := &batchClient{UniversalClient: c, queue: make(chan *batchCall, 1024)}
	for range batchFlushers {
		go b.flush()
	}
	return b
}

func (b *batchClient) EvalSha(ctx context.Context, sha string, keys []string, args ...any) *redis.Cmd {
	call := &batchCall{sha: sha, keys: keys, args: args, done: make(chan struct{})}
	select {
	case b.queue <- call:
	case <-ctx.Done():
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
	<-call.done
	return call.cmd
}

func (b *batchClient) flush() {
	batch := make([]*batchCall, 0, maxBatch)
	for first := range b.queue {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxBatch {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		pipe := b.UniversalClient.Pipeline()
		for _, c := range batch {
			c.cmd = pipe.EvalSha(ctx, c.sha, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx) // each command carries its own error
		cancel()
		for _, c := range batch {
			close(c.done)
		}
	}
}
