package proxyconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

// parseRedisURL parses the redis.url forms (see redisstore.ParseURL).
func parseRedisURL(s string) (*redis.UniversalOptions, error) {
	return redisstore.ParseURL(s)
}

// Options returns the go-redis options the redis: section describes, for
// redisstore.NewClient: the URL (or the addresses) first, then every field
// set in the section over it, so a password from IDEMPROXY_REDIS_PASSWORD
// beats the one in the URL. Zero timeouts and pool sizes are left for
// NewClient's defaults. It reads the TLS files.
func (r Redis) Options() (*redis.UniversalOptions, error) {
	opts := &redis.UniversalOptions{}
	if r.URL != "" {
		var err error
		if opts, err = parseRedisURL(r.URL); err != nil {
			return nil, err
		}
	} else {
		opts.Addrs = r.Addrs
		opts.MasterName = r.MasterName
		// Several addresses without a master name: a Cluster's seed nodes.
		opts.IsClusterMode = len(r.Addrs) > 1 && r.MasterName == ""
	}
	setIf(&opts.Username, r.Username)
	setIf(&opts.Password, r.Password)
	setIf(&opts.SentinelUsername, r.SentinelUsername)
	setIf(&opts.SentinelPassword, r.SentinelPassword)
	setIf(&opts.DB, r.DB)
	setIf(&opts.DialTimeout, r.DialTimeout.Std())
	setIf(&opts.ReadTimeout, r.ReadTimeout.Std())
	setIf(&opts.WriteTimeout, r.WriteTimeout.Std())
	setIf(&opts.PoolTimeout, r.PoolTimeout.Std())
	setIf(&opts.PoolSize, r.PoolSize)
	setIf(&opts.MinIdleConns, r.MinIdleConns)
	setIf(&opts.MaxRetries, r.MaxRetries)
	tlsConf, err := r.TLS.config(opts.TLSConfig)
	if err != nil {
		return nil, err
	}
	opts.TLSConfig = tlsConf
	return opts, nil
}

func setIf[T comparable](field *T, v T) {
	var zero T
	if v != zero {
		*field = v
	}
}

// config returns base (a rediss:// URL's, or nil) refined by the section:
// nil when TLS is off.
func (t TLS) config(base *tls.Config) (*tls.Config, error) {
	set := t.Enabled || t.ServerName != "" || t.CAFile != "" || t.CertFile != "" || t.InsecureSkipVerify
	if base == nil && !set {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		c = base.Clone()
	}
	setIf(&c.ServerName, t.ServerName)
	c.InsecureSkipVerify = c.InsecureSkipVerify || t.InsecureSkipVerify
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("redis.tls.ca_file: no PEM certificate found in " + t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.cert_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
