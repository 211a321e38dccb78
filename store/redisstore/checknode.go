package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// checkNode reads one server's settings. A server's refusal of INFO or
// CONFIG GET (an error reply) is recorded and the check goes on with what
// the other tells; only a server that cannot be asked at all (a network
// error) fails it.
func checkNode(ctx context.Context, c ServerClient) (NodeReport, error) {
	n := NodeReport{Addr: nodeAddr(ctx, c)}
	// INFO's default sections hold server, memory and persistence; asking
	// for several sections by name needs Redis 7.
	info, err := c.Info(ctx).Result()
	switch {
	case isRedisError(err):
		n.InfoErr = err
	case err != nil:
		return n, fmt.Errorf("redisstore: check server %s: INFO: %w", n.Addr, err)
	default:
		fields := parseInfo(info)
		n.Version = fields["redis_version"]
		n.MaxmemoryPolicy = fields["maxmemory_policy"]
		n.AOF = fields["aof_enabled"] == "1"
	}

	cfg := make(map[string]string)
	for _, p := range []string{"maxmemory-policy", "appendonly", "appendfsync", "save"} {
		m, err := c.ConfigGet(ctx, p).Result()
		switch {
		case isRedisError(err):
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
	n.AppendFsync = cfg["appendfsync"]
	n.RDBSave = cfg["save"]
	return n, nil
}

// failoverAddr is the Addr go-redis gives the options of a Sentinel-backed
// client, which names no server.
const failoverAddr = "FailoverClient"

// nodeAddr names the server c talks to: its options' address, or, for a
// Sentinel-backed client, the server's side of the connection (CLIENT
// INFO's laddr, Redis 6.2 on), which is the master's address.
func nodeAddr(ctx context.Context, c ServerClient) string {
	o, ok := c.(interface{ Options() *redis.Options })
	if !ok {
		return ""
	}
	addr := o.Options().Addr
	if addr != failoverAddr {
		return addr
	}
	if ci, ok := c.(interface {
		ClientInfo(ctx context.Context) *redis.ClientInfoCmd
	}); ok {
		if info, err := ci.ClientInfo(ctx).Result(); err == nil && info.LAddr != "" {
			return info.LAddr
		}
	}
	return "the Sentinel master"
}

// majorVersion reads the major number of a redis_version.
func majorVersion(v string) (int, bool) {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
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
