package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

// RecordMemory is what a completed record costs Redis, measured on the
// benchmark's own server after the small-body runs filled it.
type RecordMemory struct {
	// Samples are MEMORY USAGE <key> SAMPLES 0 (every field counted, not
	// estimated) of completed records, and Median their median.
	Samples []int64
	Median  int64
	// BodyBytes is the size of the upstream's receipt at the time: the
	// response body such a record keeps.
	BodyBytes int
	// UsedMemory is used_memory minus the empty server's at start, Keys
	// DBSIZE: their quotient is the average key's cost with Redis's own
	// overheads (the keyspace's dict, expiry entries, allocator slack).
	UsedMemory, Keys int64
}

// PerKey is UsedMemory / Keys (0 without keys).
func (m RecordMemory) PerKey() int64 {
	if m.Keys == 0 {
		return 0
	}
	return m.UsedMemory / m.Keys
}

// Range is the smallest and largest sample (0, 0 without samples).
func (m RecordMemory) Range() (lo, hi int64) {
	if len(m.Samples) == 0 {
		return 0, 0
	}
	return slices.Min(m.Samples), slices.Max(m.Samples)
}

// recordSamples is how many completed records RecordMemory measures.
const recordSamples = 20

// Record fields and values of store/redisstore (doc.go, lua/finish.lua):
// s is the state, 2 COMPLETED; c the upstream status.
const (
	fieldState     = "s"
	stateCompleted = "2"
	fieldStatus    = "c"
)

// RecordMemory SCANs the server for records (the store's default key
// prefix, which config.yaml keeps: <prefix>{<scope>:<id>}, not the large
// responses beside them, <prefix>{<scope>:<id>}:b) and measures n
// of those COMPLETED with a 201: the /orders receipts of the first-request
// rows (the json-scoped and 2 ms routes keep records of the same shape). It
// only ever runs on the server the harness started. baseUsed is the empty
// server's used_memory.
func (r *Redis) RecordMemory(ctx context.Context, n int, baseUsed int64) (RecordMemory, error) {
	opts, err := redisstore.ParseURL(r.URL())
	if err != nil {
		return RecordMemory{}, err
	}
	c := redisstore.NewClient(opts)
	defer c.Close()
	var m RecordMemory
	var cursor uint64
	for len(m.Samples) < n {
		keys, next, err := c.Scan(ctx, cursor, redisstore.DefaultKeyPrefix+"{*}", 500).Result()
		if err != nil {
			return m, err
		}
		for _, k := range keys {
			if len(m.Samples) == n {
				break
			}
			f, err := c.HMGet(ctx, k, fieldState, fieldStatus).Result()
			if err != nil {
				return m, err
			}
			if f[0] != stateCompleted || f[1] != "201" {
				continue
			}
			b, err := c.MemoryUsage(ctx, k, 0).Result()
			if err != nil {
				return m, err
			}
			m.Samples = append(m.Samples, b)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(m.Samples) == 0 {
		return m, fmt.Errorf("no completed record under %s{ on the benchmark's redis", redisstore.DefaultKeyPrefix)
	}
	v := make([]float64, len(m.Samples))
	for i, s := range m.Samples {
		v[i] = float64(s)
	}
	m.Median = int64(median(v))
	used, err := r.UsedMemory(ctx)
	if err != nil {
		return m, err
	}
	m.UsedMemory = used - baseUsed
	if m.Keys, err = c.DBSize(ctx).Result(); err != nil {
		return m, err
	}
	return m, nil
}

// receiptLen is the size of the body url answers now: the upstream's
// receipt, whose order id grows with the run.
func receiptLen(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(OrderBody))
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}
