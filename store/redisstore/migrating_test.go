package redisstore_test

import (
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

// TestMigratingSlotServesEveryOperation: while a Cluster slot is being
// resharded (MIGRATING on its owner, IMPORTING on another master), with
// records of it on the old owner and new keys landing on the new one, a
// claim, a large and a small finish, a replay, a get and a delete all
// work. Redis answers TRYAGAIN to a command naming several keys of such a
// slot unless all exist on one node, so a script may declare only keys
// that are there: declaring the response key beside every record failed
// every claim of the slot.
func TestMigratingSlotServesEveryOperation(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t)
	client := newClient(t, "redis+cluster://"+cluster.Addrs()[0]).(*redis.ClusterClient)
	prefix := "idemmig:"
	s := newStore(t, client, redisstore.Config{KeyPrefix: prefix})
	ctx := t.Context()

	// A record finished before the migration, on the slot's owner.
	old := newKey()
	finished := largeResponse(16 << 10)
	completed(t, s, old, "before", finished)
	oldName := prefix + "{" + old.Scope + ":" + old.ID + "}"
	slot, err := client.ClusterKeySlot(ctx, oldName).Result()
	if err != nil {
		t.Fatal(err)
	}
	source, err := client.MasterForKey(ctx, oldName)
	if err != nil {
		t.Fatal(err)
	}
	var target *redis.Client
	for _, n := range cluster.Nodes() {
		if n.Addr() != source.Options().Addr {
			target = n.Client(t)
			break
		}
	}
	sourceID, targetID := source.Do(ctx, "CLUSTER", "MYID").Val(), target.Do(ctx, "CLUSTER", "MYID").Val()
	for _, step := range []struct {
		c    *redis.Client
		args []any
	}{
		{target, []any{"CLUSTER", "SETSLOT", slot, "IMPORTING", sourceID}},
		{source, []any{"CLUSTER", "SETSLOT", slot, "MIGRATING", targetID}},
	} {
		if err := step.c.Do(ctx, step.args...).Err(); err != nil {
			t.Fatalf("%v: %v", step.args, err)
		}
	}

	// The record on the old owner: replayed, read, its large response whole.
	wantReplay(t, s, old, finished)
	if _, err := s.Get(ctx, old); err != nil {
		t.Errorf("Get during the migration: %v", err)
	}

	// New keys of the same slot go to the new owner (ASK).
	var fresh []store.Key
	for i := 0; len(fresh) < 2; i++ {
		if k := (store.Key{Scope: old.Scope, ID: "K" + strconv.Itoa(i)}); keySlot(k.Scope+":"+k.ID) == slot {
			fresh = append(fresh, k)
		}
	}
	for i, resp := range []*store.Response{largeResponse(64 << 10), sample()} {
		completed(t, s, fresh[i], "owner", resp)
		wantReplay(t, s, fresh[i], resp)
	}
	if err := s.Delete(ctx, old); err != nil {
		t.Errorf("Delete during the migration: %v", err)
	}
	for _, n := range cluster.Nodes() {
		wantNoStaged(t, n.Client(t), prefix)
	}
}

// keySlot is Redis Cluster's slot of a hash tag's content: CRC16 (XMODEM)
// mod 16384.
func keySlot(tag string) int64 {
	var crc uint16
	for i := 0; i < len(tag); i++ {
		crc ^= uint16(tag[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int64(crc % 16384)
}
