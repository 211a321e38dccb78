package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store"
)

// Get implements store.Store (get.lua).
func (s *Store) Get(ctx context.Context, key store.Key) (store.Record, error) {
	if err := key.Validate(); err != nil {
		return store.Record{}, err
	}
	v, err := s.get(ctx, key, true)
	if err != nil {
		return store.Record{}, err
	}
	rec, err := parseRecord(v, s.maxResponse)
	if err != nil {
		return store.Record{}, fmt.Errorf("redisstore: get %v: %w", key, err)
	}
	return rec, nil
}

// get runs get.lua; withResponse asks for the stored response too.
func (s *Store) get(ctx context.Context, key store.Key, withResponse bool) ([]any, error) {
	flag := "0"
	if withResponse {
		flag = "1"
	}
	v, err := getScript.Run(ctx, s.client, []string{s.redisKey(key)}, flag, s.offset()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: get %v: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: get %v: %w", key, err)
	}
	return v, nil
}

// parseRecord reads get.lua's {state, fingerprint, owner, version,
// lease_until_ms, expires_ms, status[, response]}.
func parseRecord(v []any, maxResponse int) (store.Record, error) {
	if len(v) < 7 {
		return store.Record{}, fmt.Errorf("script returned %d values, want 7 or 8", len(v))
	}
	str := func(i int) string { s, _ := v[i].(string); return s }
	var n [7]int64
	for _, i := range []int{0, 3, 4, 5, 6} {
		if v[i] == nil {
			continue // the lease of a finished record, the status of a claim
		}
		x, err := strconv.ParseInt(str(i), 10, 64)
		if err != nil {
			return store.Record{}, fmt.Errorf("field %d is %q, want an integer", i, str(i))
		}
		n[i] = x
	}
	rec := store.Record{
		State:     store.State(n[0]),
		Owner:     str(2),
		Version:   n[3],
		ExpiresAt: time.UnixMilli(n[5]),
		Status:    int(n[6]),
	}
	if fp := str(1); len(fp) == len(rec.Fingerprint) {
		copy(rec.Fingerprint[:], fp)
	} else {
		return store.Record{}, fmt.Errorf("fingerprint is %d bytes, want %d", len(fp), len(rec.Fingerprint))
	}
	if v[4] != nil {
		rec.LeaseUntil = time.UnixMilli(n[4])
	}
	if len(v) == 8 && v[7] != nil {
		raw, err := joinChunks(v[7])
		if err != nil {
			return store.Record{}, err
		}
		resp, err := decodeResponse(raw, maxResponse)
		if err != nil {
			return store.Record{}, err
		}
		rec.Response = resp
	}
	return rec, nil
}

// Delete implements store.Store (delete.lua). It leaves a tombstone for
// as long as Release does, so that a retry of the call finds its own nonce.
func (s *Store) Delete(ctx context.Context, key store.Key) error {
	if err := key.Validate(); err != nil {
		return err
	}
	n, err := deleteScript.Run(ctx, s.client, []string{s.redisKey(key)},
		nonce(), releaseTombstone.Milliseconds(), s.offset()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: delete %v: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: delete %v: %w", key, store.ErrNotFound)
	}
	return nil
}
