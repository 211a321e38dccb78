package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
	"github.com/idemproxy/idemproxy/store/storetest"
)

// aclServer starts a server whose default user is off and whose users are
// "nochan", with every key and command but no Pub/Sub channel (Redis 7's
// acl-pubsub-default resetchannels, spelled out), and "waiter", which has
// the channels of the prefix "idemacl:" only.
func aclServer(t *testing.T) *redistest.Server {
	t.Helper()
	return redistest.Start(t,
		redistest.WithConfig("user", "nochan on >s3cret ~* +@all resetchannels"),
		redistest.WithConfig("user", "waiter on >s3cret ~* +@all resetchannels &idemacl:*"),
		redistest.WithConfig("user", "default off"))
}

// TestACLWithoutChannels: an ACL user without channel permission still
// finishes, releases and deletes (the PUBLISH that notifies waiters fails
// inside the script, after the write: it must not fail the call), Wait
// returns the server's refusal at once instead of retrying until its
// bound, and CheckServer warns.
func TestACLWithoutChannels(t *testing.T) {
	t.Parallel()
	srv := aclServer(t)
	client := newClient(t, "redis://nochan:s3cret@"+srv.Addr()+"?max_retries=-1")
	s := newStore(t, client, redisstore.Config{KeyPrefix: "idemacl:"})
	ctx := t.Context()

	done := newKey()
	mustClaim(t, s, claimReq(done, "o"), store.Claimed)
	if err := s.Finish(ctx, store.FinishRequest{Key: done, Owner: "o", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
		t.Errorf("Finish: got %v, want nil", err)
	}
	mustClaim(t, s, claimReq(done, "retry"), store.Replay)
	if err := s.Delete(ctx, done); err != nil {
		t.Errorf("Delete: got %v, want nil", err)
	}
	released := newKey()
	mustClaim(t, s, claimReq(released, "o"), store.Claimed)
	if err := s.Release(ctx, released, "o"); err != nil {
		t.Errorf("Release: got %v, want nil", err)
	}

	busy := newKey()
	mustClaim(t, s, claimReq(busy, "o"), store.Claimed)
	waitCtx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	for i := range 2 { // the second finds the refusal recorded, or asks again
		start := time.Now()
		err := s.Wait(waitCtx, busy)
		var rerr redis.Error
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "NOPERM") {
			t.Fatalf("Wait %d: got %v after %v, want the server's NOPERM at once", i, err, time.Since(start))
		}
	}

	rep, err := redisstore.CheckServerWith(ctx, client, redisstore.CheckConfig{KeyPrefix: "idemacl:"})
	if err != nil {
		t.Fatalf("CheckServerWith: %v", err)
	}
	if rep.PubSubErr == nil || !strings.Contains(strings.Join(rep.Warnings, "\n"), "&idemacl:*") {
		t.Errorf("CheckServerWith: got PubSubErr %v, warnings %q, want a NOPERM and a warning naming &idemacl:*", rep.PubSubErr, rep.Warnings)
	}
}

// TestACLWithPrefixChannels: a user granted &<prefix>* is all wait mode
// needs: a blocked Wait is woken by the notification, and CheckServer has
// nothing to say about Pub/Sub.
func TestACLWithPrefixChannels(t *testing.T) {
	t.Parallel()
	client := newClient(t, "redis://waiter:s3cret@"+aclServer(t).Addr())
	s := newStore(t, client, redisstore.Config{KeyPrefix: "idemacl:"})
	key := newKey()
	mustClaim(t, s, claimReq(key, "o"), store.Claimed)
	blocked := s.WaitBlocked(key)
	errs := startWait(t.Context(), s, key)
	wantBlocked(t, blocked, errs)
	if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Failed, Status: 500, TTL: ttl}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	wantWaitReturns(t, errs, nil)

	rep, err := redisstore.CheckServerWith(t.Context(), client, redisstore.CheckConfig{KeyPrefix: "idemacl:"})
	if err != nil || rep.PubSubErr != nil {
		t.Errorf("CheckServerWith: got PubSubErr %v, error %v, want nil, nil", rep.PubSubErr, err)
	}
	// Another prefix is outside the grant.
	rep, err = redisstore.CheckServerWith(t.Context(), client, redisstore.CheckConfig{KeyPrefix: "other:"})
	if err != nil || rep.PubSubErr == nil {
		t.Errorf("CheckServerWith(other:): got PubSubErr %v, error %v, want a NOPERM", rep.PubSubErr, err)
	}
}

// The commands the package doc lists for an ACL user, and those earlier
// releases needed (no GET, SET or RENAME: large responses went through the
// scripts).
const (
	minimalCommands = "+evalsha +eval +time +hmget +hget +get +hset +set +hdel +del +rename +pexpireat +publish " +
		"+ping +subscribe +unsubscribe +info +config|get"
	earlierCommands = "+evalsha +eval +time +hmget +hget +hset +hdel +del +pexpireat +publish " +
		"+ping +subscribe +unsubscribe +info +config|get"
	// SET granted, RENAME not: the staged response is written, and the
	// script refused at its first write.
	noRenameCommands = "+evalsha +eval +time +hmget +hget +get +hset +set +hdel +del +pexpireat +publish " +
		"+ping +subscribe +unsubscribe +info +config|get"
)

// TestACLMinimalUser: the commands the package doc lists are enough for
// every operation, Wait included, and for CheckServerWith; and a user
// granted what earlier releases needed, or SET without RENAME, still is,
// large responses included, leaving no staged response behind.
func TestACLMinimalUser(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, commands string }{{"Minimal", minimalCommands}, {"EarlierRelease", earlierCommands}, {"NoRename", noRenameCommands}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t,
				redistest.WithConfig("user", "min on >s3cret ~idemtest:* &idemtest:* -@all "+c.commands),
				redistest.WithConfig("user", "admin on >s3cret ~* &* +@all"),
				redistest.WithConfig("user", "default off"))
			client := newClient(t, "redis://min:s3cret@"+srv.Addr())
			rep, err := redisstore.CheckServerWith(t.Context(), client, redisstore.CheckConfig{KeyPrefix: "idemtest:"})
			if err != nil || rep.PubSubErr != nil || rep.Nodes[0].ConfigErr != nil {
				t.Errorf("CheckServerWith: got %v, PubSubErr %v, ConfigErr %v, want none", err, rep.PubSubErr, rep.Nodes[0].ConfigErr)
			}
			storetest.Run(t, harness(client)) // its stores' prefixes start with idemtest:
			admin := newClient(t, "redis://admin:s3cret@"+srv.Addr())
			wantNoStaged(t, admin, "idemtest:")
		})
	}
}
