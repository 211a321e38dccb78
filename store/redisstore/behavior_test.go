package redisstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/redistest"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redisstore"
)

const (
	lease = 10 * time.Second
	ttl   = time.Hour
)

func newKey() store.Key { return store.Key{Scope: rand.Text(), ID: rand.Text()} }

func claimReq(key store.Key, owner string) store.ClaimRequest {
	return store.ClaimRequest{Key: key, Fingerprint: sha256.Sum256([]byte("A")), Owner: owner, Lease: lease, TTL: ttl}
}

func mustClaim(t *testing.T, s store.Store, req store.ClaimRequest, want store.ClaimOutcome) store.ClaimResult {
	t.Helper()
	res, err := s.Claim(t.Context(), req)
	if err != nil || res.Outcome != want {
		t.Fatalf("Claim(%v, %s): got %v, %v, want %v", req.Key, req.Owner, res.Outcome, err, want)
	}
	return res
}

func sample() *store.Response {
	return &store.Response{Status: http.StatusCreated, Header: http.Header{"Location": {"/orders/1"}}, Body: []byte(`{"order_id":"1"}`)}
}

// newClient returns a client made the production way, by ParseURL and
// NewClient, closed when t ends.
func newClient(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	opts, err := redisstore.ParseURL(url)
	if err != nil {
		t.Fatalf("ParseURL(%q): %v", url, err)
	}
	c := redisstore.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestNoCrossSlotOnCluster: every operation runs on a Cluster, and each
// record's Redis key hashes to the slot of its {scope:id} tag, on the
// master that serves that slot, so each operation stays in one slot while
// records spread over the masters.
func TestNoCrossSlotOnCluster(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	client := newClient(t, "redis+cluster://"+c.Addrs()[0])
	prefix := "idemslot:" + rand.Text() + ":"
	s := newStore(t, client, redisstore.Config{KeyPrefix: prefix})
	ctx := t.Context()
	masters := map[string]bool{}
	for range 24 {
		key := newKey()
		owner := rand.Text()
		mustClaim(t, s, claimReq(key, owner), store.Claimed)
		redisKey := prefix + "{" + key.Scope + ":" + key.ID + "}"
		slot, err := client.ClusterKeySlot(ctx, redisKey).Result()
		tagSlot, terr := client.ClusterKeySlot(ctx, key.Scope+":"+key.ID).Result()
		if err != nil || terr != nil || slot != tagSlot {
			t.Fatalf("CLUSTER KEYSLOT: got %d (%v) for %s, want its tag's %d (%v)", slot, err, redisKey, tagSlot, terr)
		}
		master, err := client.(*redis.ClusterClient).MasterForKey(ctx, redisKey)
		if err != nil {
			t.Fatalf("MasterForKey: %v", err)
		}
		if n, err := master.Exists(ctx, redisKey).Result(); err != nil || n != 1 {
			t.Fatalf("EXISTS %s on %s, the master of slot %d: got %d, %v, want 1", redisKey, master.Options().Addr, slot, n, err)
		}
		masters[master.Options().Addr] = true
		if err := s.Renew(ctx, key, owner, lease); err != nil {
			t.Fatalf("Renew: %v", err)
		}
		if err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: owner, State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		mustClaim(t, s, claimReq(key, rand.Text()), store.Replay)
		if _, err := s.Get(ctx, key); err != nil {
			t.Fatalf("Get: %v", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		owner = rand.Text()
		mustClaim(t, s, claimReq(key, owner), store.Claimed)
		if err := s.Release(ctx, key, owner); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}
	if len(masters) < 2 {
		t.Errorf("24 records landed on %d master(s), want them spread", len(masters))
	}
}

// TestStaleOwnerFinishRejected: once an abandoned claim is taken over, the
// old owner's Finish is refused and the new owner's record is untouched.
func TestStaleOwnerFinishRejected(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.Shared(t).Client(t), redisstore.Config{})
	key := newKey()
	old := mustClaim(t, s, claimReq(key, "old"), store.Claimed)
	s.AdvanceClock(lease + time.Second)
	req := claimReq(key, "new")
	req.TakeOver = true
	res := mustClaim(t, s, req, store.Claimed)
	if !res.TookOver || res.Version <= old.Version {
		t.Fatalf("takeover: got TookOver %v version %d, want true and > %d", res.TookOver, res.Version, old.Version)
	}
	err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "old", State: store.Completed, Status: 200, Response: sample(), TTL: ttl})
	if !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("stale Finish: got %v, want ErrNotOwner", err)
	}
	rec, err := s.Get(t.Context(), key)
	if err != nil || rec.State != store.InProgress || rec.Owner != "new" || rec.Version != res.Version {
		t.Fatalf("record: got %v %q %d (%v), want IN_PROGRESS new %d", rec.State, rec.Owner, rec.Version, err, res.Version)
	}
}

// TestLeaseExpiryIsAbandoned: past its lease, a claim nobody finished is
// reported abandoned (not busy, not claimable without TakeOver).
func TestLeaseExpiryIsAbandoned(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.Shared(t).Client(t), redisstore.Config{})
	key := newKey()
	mustClaim(t, s, claimReq(key, "dead"), store.Claimed)
	s.AdvanceClock(lease - time.Second)
	mustClaim(t, s, claimReq(key, "other"), store.Busy)
	s.AdvanceClock(2 * time.Second)
	mustClaim(t, s, claimReq(key, "other"), store.Abandoned)
}

// TestRecordSurvivesRestartWithAOF: with appendonly on, a server killed
// (SIGKILL) and restarted still has the records, and the client reconnects
// by itself.
func TestRecordSurvivesRestartWithAOF(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithAOF())
	s := newStore(t, newClient(t, "redis://"+srv.Addr()), redisstore.Config{})
	done, busy := newKey(), newKey()
	mustClaim(t, s, claimReq(done, "o1"), store.Claimed)
	if err := s.Finish(t.Context(), store.FinishRequest{Key: done, Owner: "o1", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	mustClaim(t, s, claimReq(busy, "o2"), store.Claimed)

	srv.Kill()
	if _, err := s.Claim(t.Context(), claimReq(newKey(), "o3")); err == nil {
		t.Fatalf("Claim with the server down: got nil error, want one")
	}
	srv.Restart()

	res := mustClaim(t, s, claimReq(done, "o4"), store.Replay)
	if string(res.Response.Body) != string(sample().Body) {
		t.Errorf("replayed body: got %q, want %q", res.Response.Body, sample().Body)
	}
	mustClaim(t, s, claimReq(busy, "o5"), store.Busy)
}

// doubling runs every script twice and answers the second run, as a
// go-redis retry does after the first reply was lost although the script
// ran.
type doubling struct {
	*redis.Client
	mu   sync.Mutex
	runs int
}

func (d *doubling) EvalSha(ctx context.Context, sha string, keys []string, args ...any) *redis.Cmd {
	d.mu.Lock()
	d.runs++
	d.mu.Unlock()
	_ = d.Client.EvalSha(ctx, sha, keys, args...)
	return d.Client.EvalSha(ctx, sha, keys, args...)
}

func (d *doubling) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	_ = d.Client.Eval(ctx, script, keys, args...)
	return d.Client.Eval(ctx, script, keys, args...)
}

// Pipeline runs every pipeline twice, as a go-redis retry of a pipeline
// does: the store stages a large response with a SET beside its script.
func (d *doubling) Pipeline() redis.Pipeliner {
	return doublingPipe{Pipeliner: d.Client.Pipeline(), d: d}
}

type doublingPipe struct {
	redis.Pipeliner
	d *doubling
}

func (p doublingPipe) Exec(ctx context.Context) ([]redis.Cmder, error) {
	first := p.d.Client.Pipeline()
	for _, cmd := range p.Cmds() {
		first.Do(ctx, cmd.Args()...)
	}
	_, _ = first.Exec(ctx)
	p.d.mu.Lock()
	p.d.runs++
	p.d.mu.Unlock()
	return p.Pipeliner.Exec(ctx)
}

// TestRetriedScriptsAreSafe: a script run twice for one call (a retry after
// a lost reply) answers as if it ran once, for every operation.
func TestRetriedScriptsAreSafe(t *testing.T) {
	t.Parallel()
	d := &doubling{Client: redistest.Shared(t).Client(t)}
	prefix := "idemtest:" + rand.Text() + ":"
	s := newStore(t, d, redisstore.Config{KeyPrefix: prefix})
	ctx := t.Context()
	key := newKey()
	first := mustClaim(t, s, claimReq(key, "o1"), store.Claimed) // retried claim: still Claimed
	rec, err := s.Get(ctx, key)
	if err != nil || rec.Version != first.Version {
		t.Fatalf("Get: got version %d (%v), want %d", rec.Version, err, first.Version)
	}
	if err := s.Renew(ctx, key, "o1", lease); err != nil {
		t.Fatalf("retried Renew: got %v, want nil", err)
	}
	if err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: "o1", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
		t.Fatalf("retried Finish: got %v, want nil", err)
	}
	// A second, distinct Finish call is still refused.
	if err := s.Finish(ctx, store.FinishRequest{Key: key, Owner: "o1", State: store.Failed, Status: 500, TTL: ttl}); !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("second Finish: got %v, want ErrNotOwner", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("retried Delete: got %v, want nil", err)
	}
	// A second, distinct Delete call finds no record.
	if err := s.Delete(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: got %v, want ErrNotFound", err)
	}
	mustClaim(t, s, claimReq(key, "o2"), store.Claimed)
	if err := s.Release(ctx, key, "o2"); err != nil {
		t.Fatalf("retried Release: got %v, want nil", err)
	}
	if err := s.Release(ctx, key, "o2"); !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("second Release: got %v, want ErrNotOwner", err)
	}

	// A large response, staged beside the script: the re-sent SET and
	// script leave one response and no staged copy.
	large, want := newKey(), largeResponse(64<<10)
	completed(t, s, large, "o3", want)
	wantReplay(t, s, large, want)
	wantNoStaged(t, d.Client, prefix)
	if d.runs == 0 {
		t.Fatalf("the doubling client ran no script")
	}
}

// TestFinishBeyondMaxResponseSize: a response larger than MaxResponseSize
// is recorded as completed but not replayable, as a replay would refuse to
// decode it; one within it replays.
func TestFinishBeyondMaxResponseSize(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.Shared(t).Client(t), redisstore.Config{MaxResponseSize: 1 << 10})
	for _, tc := range []struct {
		body int
		want store.ClaimOutcome
	}{{body: 512, want: store.Replay}, {body: 2 << 10, want: store.NotReplayable}} {
		key := newKey()
		mustClaim(t, s, claimReq(key, "o"), store.Claimed)
		resp := &store.Response{Status: 201, Body: make([]byte, tc.body)}
		if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Completed, Status: 201, Response: resp, TTL: ttl}); err != nil {
			t.Fatalf("Finish of %d bytes: %v", tc.body, err)
		}
		if res := mustClaim(t, s, claimReq(key, "retry"), tc.want); res.Status != 201 {
			t.Errorf("%d bytes: Status: got %d, want 201", tc.body, res.Status)
		}
	}
}

// TestReplayExpiresIn: a replay says how long the record is kept from now,
// by the Redis clock, so that the middleware's replay cache can keep it
// that long (store.ClaimResult.ExpiresIn).
func TestReplayExpiresIn(t *testing.T) {
	t.Parallel()
	s := newStore(t, redistest.Shared(t).Client(t), redisstore.Config{})
	key := newKey()
	mustClaim(t, s, claimReq(key, "o"), store.Claimed)
	if err := s.Finish(t.Context(), store.FinishRequest{Key: key, Owner: "o", State: store.Completed, Status: 201, Response: sample(), TTL: ttl}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	const slack = time.Second
	for _, step := range []struct{ advance, want time.Duration }{{0, ttl}, {ttl / 2, ttl / 2}} {
		s.AdvanceClock(step.advance)
		res := mustClaim(t, s, claimReq(key, "retry"), store.Replay)
		if res.ExpiresIn < step.want-slack || res.ExpiresIn > step.want {
			t.Errorf("ExpiresIn: got %v, want %v (- %v)", res.ExpiresIn, step.want, slack)
		}
	}
}
