package proxyconfig

import (
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"
)

// parseRedisURL parses the redis.url forms.
// TODO: redisstore.ParseURL once it lands.
func parseRedisURL(s string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return nil, fmt.Errorf("%q: the scheme must be redis, rediss or unix", s)
	}
	o, err := redis.ParseURL(s)
	if err != nil {
		return nil, err
	}
	return &redis.UniversalOptions{Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig}, nil
}
