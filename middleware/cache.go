package middleware

import (
	"bytes"
	"container/list"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// ReplayCache bounds the process-local cache of completed responses. A
// COMPLETED record never changes until it expires or an operator deletes
// it, so a replica may keep a copy and replay it without a store round trip
// (the round trip is most of a replay's cost). The cache is bounded in
// entries and bytes, and an entry never outlives its record's TTL.
type ReplayCache struct {
	// MaxEntries bounds the cached responses; negative disables the cache.
	// Default: 10000.
	MaxEntries int
	// MaxBytes bounds the cached bodies and headers; a response larger than
	// a sixteenth of it is not cached. Default: 32 MiB.
	MaxBytes int64
	// MaxAge bounds how long a replica keeps a copy: it is how long an
	// operator's delete of a record may go unseen by other replicas (the
	// replica that deletes forgets at once). Default: 30s.
	MaxAge time.Duration
}

// replayCache is an LRU of completed responses, keyed by store key. Its
// responses are shared by concurrent replays and never written to: their
// header slices are clipped, so an append by a later handler copies.
type replayCache struct {
	cfg ReplayCache

	mu      sync.Mutex
	entries map[store.Key]*list.Element
	lru     list.List // of *cacheEntry, most recent first
	bytes   int64
}

type cacheEntry struct {
	key     store.Key
	fp      store.Fingerprint
	resp    *store.Response
	expires time.Time
	size    int64
}

func newReplayCache(cfg ReplayCache) *replayCache {
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 32 << 20
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 30 * time.Second
	}
	if cfg.MaxEntries < 0 || cfg.MaxBytes < 0 || cfg.MaxAge < 0 {
		return nil
	}
	return &replayCache{cfg: cfg, entries: make(map[store.Key]*list.Element)}
}

// get returns the cached response of key if it was made by a request with
// fingerprint fp and has not expired; a different request must reach the
// store, which answers 422.
func (c *replayCache) get(key store.Key, fp store.Fingerprint, now time.Time) *store.Response {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[key]
	if el == nil {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.removeLocked(el)
		return nil
	}
	if e.fp != fp {
		return nil
	}
	c.lru.MoveToFront(el)
	return e.resp
}

// put caches a copy of resp for at most lifetime (the record's time left).
func (c *replayCache) put(key store.Key, fp store.Fingerprint, resp *store.Response, lifetime time.Duration, now time.Time) {
	if c == nil || resp == nil || lifetime <= 0 {
		return
	}
	size := resp.Size()
	if size > c.cfg.MaxBytes/16 {
		return
	}
	e := &cacheEntry{key: key, fp: fp, resp: frozenCopy(resp), expires: now.Add(min(lifetime, c.cfg.MaxAge)), size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.removeLocked(old)
	}
	c.entries[key] = c.lru.PushFront(e)
	c.bytes += size
	for len(c.entries) > c.cfg.MaxEntries || c.bytes > c.cfg.MaxBytes {
		c.removeLocked(c.lru.Back())
	}
}

// forget drops key, after an operator deleted its record.
func (c *replayCache) forget(key store.Key) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[key]; el != nil {
		c.removeLocked(el)
	}
}

func (c *replayCache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.bytes -= e.size
}

// frozenCopy deep-copies resp with clipped header slices, so that sharing
// it between replays is safe.
func frozenCopy(resp *store.Response) *store.Response {
	h := make(http.Header, len(resp.Header))
	for k, vs := range resp.Header {
		h[k] = slices.Clip(slices.Clone(vs))
	}
	return &store.Response{Status: resp.Status, Header: h, Body: bytes.Clone(resp.Body)}
}
