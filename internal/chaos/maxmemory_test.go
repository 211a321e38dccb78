package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestEvictingRedisIsRefused is matrix row 5a: a Redis that may evict
// records (any maxmemory-policy but noeviction) would let a retry run twice,
// silently; the proxy refuses to start on it, naming the policy, unless
// redis.check: warn says otherwise.
func TestEvictingRedisIsRefused(t *testing.T) {
	t.Parallel()
	oa := startOrderapp(t)
	var refused []string
	for _, policy := range []string{"allkeys-lru", "volatile-ttl"} {
		rs := ownRedis(t, redistest.WithMaxmemory("64mb", policy))
		p := spawnProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr())})
		code := p.exitCode(30 * time.Second)
		out := p.output()
		if code == 0 || !strings.Contains(out, policy) || strings.Contains(out, `"msg":"listening"`) {
			t.Errorf("maxmemory-policy %s: exit %d, output:\n%s\nwant a non-zero exit naming the policy, before listening", policy, code, out)
		}
		refused = append(refused, policy)

		if policy == "allkeys-lru" {
			warned := startProxy(t, proxyConfig{Upstream: oa.url, Redis: redisURL(rs.Addr()), Check: "warn"})
			if !strings.Contains(warned.output(), policy) {
				t.Errorf("redis.check: warn on %s: no warning naming the policy:\n%s", policy, warned.output())
			}
		}
	}
	observed(t, "proxy start on maxmemory-policy %v: refused, exit non-zero naming the policy; check: warn starts with a warning", refused)
}
