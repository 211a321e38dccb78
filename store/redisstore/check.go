package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ServerClient is what CheckServer needs: CONFIG GET and INFO.
// *redis.Client, *redis.ClusterClient and redis.UniversalClient fit. A
// client that also has ForEachMaster (a cluster client) is checked on every
// master, since each holds its share of the records.
type ServerClient interface {
	ConfigGet(ctx context.Context, parameter string) *redis.MapStringStringCmd
	Info(ctx context.Context, section ...string) *redis.StringCmd
}

// ServerReport is what CheckServer found, one NodeReport per server
// checked, and the warnings an operator should read at startup.
type ServerReport struct {
	Nodes    []NodeReport
	Warnings []string
	// PubSubErr is the server's refusal of PUBLISH or SUBSCRIBE on the key
	// prefix's channels (NOPERM: an ACL user without &<prefix>*), nil when
	// both were allowed or the client cannot subscribe (no probe). Without
	// them Wait fails at once and waiters are never notified; the store is
	// otherwise unaffected.
	PubSubErr error
}

// NodeReport is one server's settings that matter to the store.
type NodeReport struct {
	// Addr is the node's address, when the client tells it.
	Addr string
	// Version is redis_version from INFO server.
	Version string
	// MaxmemoryPolicy is the eviction policy, from CONFIG GET or, where
	// CONFIG is not permitted, INFO memory; "" when neither answered.
	MaxmemoryPolicy string
	// ConfigErr is the error of CONFIG GET, when the server refused it
	// (managed Redis renames or forbids CONFIG); nil when it answered.
	ConfigErr error
	// AOF reports appendonly (INFO persistence aof_enabled).
	AOF bool
	// RDBSave is the "save" setting (RDB snapshots; "" when off or when
	// CONFIG is not permitted).
	RDBSave string
}

// EvictionError reports a server whose maxmemory-policy may evict records.
// An evicted record lets a retry execute a second time, silently.
type EvictionError struct {
	Addr   string
	Policy string
}

func (e *EvictionError) Error() string {
	return fmt.Sprintf("redisstore: server %s has maxmemory-policy %s: an evicted record lets a retry run twice; set noeviction (or allow eviction explicitly)", e.Addr, e.Policy)
}

// CheckConfig holds CheckServerWith's optional settings; the zero value is
// CheckServer's behaviour.
type CheckConfig struct {
	// AllowEviction turns a maxmemory-policy other than noeviction from an
	// *EvictionError into a warning.
	AllowEviction bool
	// KeyPrefix is the Store's Config.KeyPrefix, whose channels Wait
	// subscribes to and the scripts publish on. Default: "idem:".
	KeyPrefix string
}

// CheckServer is CheckServerWith with AllowEviction set to allowEviction
// and the default key prefix.
func CheckServer(ctx context.Context, client ServerClient, allowEviction bool) (ServerReport, error) {
	return CheckServerWith(ctx, client, CheckConfig{AllowEviction: allowEviction})
}

// CheckServerWith checks the server(s) behind client at startup. It returns an
// *EvictionError when a maxmemory-policy other than noeviction is set and
// allowEviction is false; with allowEviction the policy becomes a warning.
// It never fails because CONFIG is not permitted (managed Redis): it says
// so in the report, reads the policy from INFO instead, and goes on.
// Missing persistence is a warning: a restart would forget every record.
// Errors other than *EvictionError mean a server could not be asked at all.
//
// When client can also publish and subscribe (go-redis clients can), it
// probes PUBLISH and SUBSCRIBE on a channel under cfg.KeyPrefix, and warns
// when the ACL user may not: Wait (wait mode) needs the channel permission
// &<prefix>*, which Redis 7 does not grant new users by default
// (acl-pubsub-default resetchannels).
func CheckServerWith(ctx context.Context, client ServerClient, cfg CheckConfig) (ServerReport, error) {
	allowEviction := cfg.AllowEviction
	var (
		mu  sync.Mutex
		rep ServerReport
	)
	check := func(ctx context.Context, c ServerClient) error {
		n, err := checkNode(ctx, c)
		if err != nil {
			return err
		}
		mu.Lock()
		rep.Nodes = append(rep.Nodes, n)
		mu.Unlock()
		return nil
	}
	var err error
	if cc, ok := client.(interface {
		ForEachMaster(context.Context, func(context.Context, *redis.Client) error) error
	}); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return check(ctx, c) })
	} else {
		err = check(ctx, client)
	}
	if err != nil {
		return rep, err
	}

	if ps, ok := client.(pubSubClient); ok {
		prefix := cfg.KeyPrefix
		if prefix == "" {
			prefix = DefaultKeyPrefix
		}
		if rep.PubSubErr = probePubSub(ctx, ps, prefix); rep.PubSubErr != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("PUBLISH or SUBSCRIBE on the channels %s* refused (%v): Wait fails and waiters are never notified; grant the ACL user &%s* for wait mode",
				prefix, rep.PubSubErr, prefix))
		}
	}

	var evict error
	for _, n := range rep.Nodes {
		name := n.Addr
		if name == "" {
			name = "(server)"
		}
		if n.ConfigErr != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: CONFIG GET not permitted (%v); policy read from INFO, persistence settings partly unknown", name, n.ConfigErr))
		}
		switch n.MaxmemoryPolicy {
		case "noeviction":
		case "":
			rep.Warnings = append(rep.Warnings, name+": maxmemory-policy unknown; make sure it is noeviction")
		default:
			if !allowEviction {
				evict = errors.Join(evict, &EvictionError{Addr: name, Policy: n.MaxmemoryPolicy})
			} else {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: maxmemory-policy %s allowed: an evicted record lets a retry run twice", name, n.MaxmemoryPolicy))
			}
		}
		if !n.AOF {
			w := name + ": AOF is off: a restart loses the records written since the last snapshot"
			if n.RDBSave == "" {
				w = name + ": no persistence seen (AOF off, no RDB save rule): a restart loses every record"
			}
			rep.Warnings = append(rep.Warnings, w)
		}
	}
	return rep, evict
}

func checkNode(ctx context.Context, c ServerClient) (NodeReport, error) {
	var n NodeReport
	if o, ok := c.(interface{ Options() *redis.Options }); ok {
		n.Addr = o.Options().Addr
	}
	// INFO's default sections hold server, memory and persistence; asking
	// for several sections by name needs Redis 7.
	info, err := c.Info(ctx).Result()
	if err != nil {
		return n, fmt.Errorf("redisstore: check server %s: INFO: %w", n.Addr, err)
	}
	fields := parseInfo(info)
	n.Version = fields["redis_version"]
	n.MaxmemoryPolicy = fields["maxmemory_policy"]
	n.AOF = fields["aof_enabled"] == "1"

	cfg := make(map[string]string)
	for _, p := range []string{"maxmemory-policy", "appendonly", "save"} {
		m, err := c.ConfigGet(ctx, p).Result()
		var refused redis.Error // the server answered with an error
		switch {
		case errors.As(err, &refused):
			n.ConfigErr = err
			return n, nil
		case err != nil:
			return n, fmt.Errorf("redisstore: check server %s: CONFIG GET: %w", n.Addr, err)
		}
		for k, v := range m {
			cfg[k] = v
		}
	}
	if p := cfg["maxmemory-policy"]; p != "" {
		n.MaxmemoryPolicy = p
	}
	if v, ok := cfg["appendonly"]; ok {
		n.AOF = v == "yes"
	}
	n.RDBSave = cfg["save"]
	return n, nil
}

// parseInfo reads "name:value" lines of INFO.
func parseInfo(info string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m
}
