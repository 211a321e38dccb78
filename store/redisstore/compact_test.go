package redisstore_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestCompletedRecordStaysCompact: what a user pays in Redis for every key
// kept a day. A completed record with a small response (an order receipt,
// 70 bytes) must stay in Redis's compact listpack encoding, at most 400
// bytes by MEMORY USAGE (937 when its response field pushed it into a
// hashtable); and a key claimed again after its record expired must not
// keep the old record's response chunks.
func TestCompletedRecordStaysCompact(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := newStore(t, c, redisstore.Config{KeyPrefix: "idem:"})
	// Storage keys as the middleware makes them: 128-bit base64url hashes.
	key := store.Key{Scope: "4oGkQzXb7Vh2pLm9TqWs1A", ID: "Z8yR3nKc0dFj6uEw5tHb2Q"}
	receipt := &store.Response{Status: http.StatusCreated,
		Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/orders/1a2b3c"}},
		Body:   []byte(`{"order_id":"1a2b3c","customer_id":"c-1","total":"25.00","lines":1}`),
	}
	finish := func(owner string, resp *store.Response) {
		t.Helper()
		req := claimReq(key, owner)
		req.TTL = 24 * time.Hour
		mustClaim(t, s, req, store.Claimed)
		if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: resp.Status, Response: resp, TTL: 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	name := "idem:{" + key.Scope + ":" + key.ID + "}"
	finish("owner-1", receipt)
	if enc := c.ObjectEncoding(t.Context(), name).Val(); enc != "listpack" {
		t.Errorf("OBJECT ENCODING of a completed record with a %d-byte body: %q, want listpack", len(receipt.Body), enc)
	}
	if n := c.MemoryUsage(t.Context(), name).Val(); n > 400 {
		t.Errorf("MEMORY USAGE of a completed record with a %d-byte body: %d bytes, want at most 400", len(receipt.Body), n)
	}
	res := mustClaim(t, s, claimReq(key, "retry"), store.Replay)
	if string(res.Response.Body) != string(receipt.Body) || res.Response.Header.Get("Location") != "/orders/1a2b3c" {
		t.Errorf("replay: %+v, want the receipt", res.Response)
	}

	// Expired, claimed anew, finished with a small response.
	s.AdvanceClock(25 * time.Hour)
	finish("owner-2", &store.Response{Status: http.StatusOK, Body: []byte("ok")})
	fields := c.HKeys(t.Context(), name).Val()
	slices.Sort(fields)
	for _, f := range fields {
		if f == "k" || strings.HasPrefix(f, "r") && f != "r" {
			t.Errorf("fields after a reclaim and a small finish: %q, want no chunk of the old response", fields)
			break
		}
	}
}
