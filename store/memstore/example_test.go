package memstore_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memstore"
)

// A request claims its key, a duplicate sent meanwhile is told the key is
// busy, and once the first finishes every retry replays its response, while
// another request reusing the key is refused.
func Example() {
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	key := store.Key{Scope: "caller-hash", ID: "key-hash"}
	claim := func(body, owner string) store.ClaimResult {
		res, err := s.Claim(ctx, store.ClaimRequest{
			Key:         key,
			Fingerprint: sha256.Sum256([]byte("POST /orders " + body)),
			Owner:       owner,
			Lease:       10 * time.Second,
			TTL:         24 * time.Hour,
		})
		if err != nil {
			log.Fatal(err)
		}
		return res
	}

	fmt.Println("first:", claim(`{"sku":"A1"}`, "owner-1").Outcome)
	fmt.Println("duplicate meanwhile:", claim(`{"sku":"A1"}`, "owner-2").Outcome)

	err = s.Finish(ctx, store.FinishRequest{
		Key:    key,
		Owner:  "owner-1",
		State:  store.Completed,
		Status: http.StatusCreated,
		Response: &store.Response{
			Status: http.StatusCreated,
			Header: http.Header{"Location": {"/orders/42"}},
			Body:   []byte(`{"order_id":"42"}`),
		},
		TTL: 24 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}

	retry := claim(`{"sku":"A1"}`, "owner-3")
	fmt.Println("retry:", retry.Outcome, retry.Status, retry.Response.Header.Get("Location"), string(retry.Response.Body))
	fmt.Println("another request:", claim(`{"sku":"B2"}`, "owner-4").Outcome)
	// Output:
	// first: claimed
	// duplicate meanwhile: busy
	// retry: replay 201 /orders/42 {"order_id":"42"}
	// another request: mismatch
}
