package redisstore

import (
	"context"
	"errors"
	"fmt"
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
	// RDBSave and AppendFsync are then unknown.
	ConfigErr error
	// InfoErr is the error of INFO, when the server refused it; nil when
	// it answered. Version is then unknown.
	InfoErr error
	// AOF reports appendonly (CONFIG GET appendonly, or INFO persistence
	// aof_enabled).
	AOF bool
	// AppendFsync is the appendfsync setting ("" when CONFIG is not
	// permitted).
	AppendFsync string
	// RDBSave is the "save" setting (RDB snapshots; "" when off or when
	// CONFIG is not permitted).
	RDBSave string
}

// MinVersion is the oldest Redis the store runs on, the one place it is
// stated: the scripts read TIME and then write, which needs the effects
// replication Redis 5 turned on by default (see the package doc). Wait
// with an ACL user needs Redis 6.2's channel rules (&<prefix>*).
const MinVersion = "5.0"

// VersionError reports a server older than MinVersion.
type VersionError struct {
	Addr    string
	Version string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("redisstore: server %s runs Redis %s; the store needs Redis %s or later (its scripts read TIME before they write)", e.Addr, e.Version, MinVersion)
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
// cfg.AllowEviction is false (with it the policy becomes a warning), and a
// *VersionError for a server older than MinVersion; several are joined
// (errors.Join), so look for them with errors.As. It never fails because
// CONFIG or INFO is not permitted (managed Redis): it says so in the
// report, reads what it can from the other, and goes on. What persistence
// loses (AOF off, appendfsync, no RDB rule) is a warning. Other errors mean
// a server could not be asked at all.
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

	var fatal error
	for _, n := range rep.Nodes {
		name := n.Addr
		if name == "" {
			name = "(server)"
		}
		if n.InfoErr != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: INFO not permitted (%v); version unknown, settings read from CONFIG", name, n.InfoErr))
		}
		if n.ConfigErr != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: CONFIG GET not permitted (%v); policy read from INFO, persistence settings partly unknown", name, n.ConfigErr))
		}
		switch major, ok := majorVersion(n.Version); {
		case !ok:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: version unknown; make sure it is Redis %s or later", name, MinVersion))
		case major < 5:
			fatal = errors.Join(fatal, &VersionError{Addr: name, Version: n.Version})
		}
		switch n.MaxmemoryPolicy {
		case "noeviction":
		case "":
			rep.Warnings = append(rep.Warnings, name+": maxmemory-policy unknown; make sure it is noeviction")
		default:
			if !allowEviction {
				fatal = errors.Join(fatal, &EvictionError{Addr: name, Policy: n.MaxmemoryPolicy})
			} else {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: maxmemory-policy %s allowed: an evicted record lets a retry run twice", name, n.MaxmemoryPolicy))
			}
		}
		rep.Warnings = append(rep.Warnings, persistenceWarnings(name, n)...)
	}
	return rep, fatal
}

// persistenceWarnings says what a restart or a crash of n loses.
func persistenceWarnings(name string, n NodeReport) []string {
	configKnown := n.ConfigErr == nil
	switch {
	case n.InfoErr != nil && !configKnown:
		return []string{name + ": persistence unknown (INFO and CONFIG not permitted): a restart may lose every record"}
	case !n.AOF && !configKnown:
		return []string{name + ": AOF is off and the RDB save rules unknown (CONFIG not permitted): a restart loses the records written since the last snapshot, every record if there is none"}
	case !n.AOF && n.RDBSave == "":
		return []string{name + ": no persistence (AOF off, no RDB save rule): a restart loses every record"}
	case !n.AOF:
		return []string{name + ": AOF is off: a restart loses the records written since the last RDB snapshot"}
	case !configKnown:
		return []string{name + ": appendfsync unknown (CONFIG not permitted): an operating system crash may lose the last records"}
	}
	switch n.AppendFsync {
	case "always":
		return nil
	case "everysec":
		return []string{name + ": appendfsync everysec: an operating system crash or power loss loses up to about a second of records (a Redis crash alone loses none)"}
	default:
		return []string{fmt.Sprintf("%s: appendfsync %s: an operating system crash or power loss loses the records the system had not written yet (often 30 s)", name, n.AppendFsync)}
	}
}
