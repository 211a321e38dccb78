package proxyconfig

import (
	"slices"
	"time"
)

// The binary's defaults. The idempotency policy's defaults are the
// middleware's own (middleware.Policy documents them), so they are not
// repeated here.
const (
	DefaultListen      = ":8080"
	DefaultAdminListen = "127.0.0.1:9090"
)

// applyDefaults fills every zero field that has a default.
func (c *Config) applyDefaults() {
	def(&c.Listen, DefaultListen)
	def(&c.Admin.Listen, DefaultAdminListen)

	def(&c.Upstream.DialTimeout, Duration(5*time.Second))
	def(&c.Upstream.IdleConnTimeout, Duration(90*time.Second))
	def(&c.Upstream.MaxIdleConns, 512)
	def(&c.Upstream.MaxIdleConnsPerHost, 256)
	def(&c.Upstream.Host, "original")
	if c.Upstream.TrustForwarded == nil { // [] trusts none
		c.Upstream.TrustForwarded = slices.Clone(ForwardingHeaders[:3])
	}

	def(&c.Server.ReadHeaderTimeout, Duration(10*time.Second))
	def(&c.Server.ReadTimeout, Duration(60*time.Second))
	def(&c.Server.WriteTimeout, max(Duration(2*time.Minute), c.MaxHandlerTime()+Duration(30*time.Second)))
	def(&c.Server.IdleTimeout, Duration(120*time.Second))
	def(&c.Server.ShutdownTimeout, Duration(60*time.Second))
	def(&c.Server.MaxHeaderBytes, ByteSize(1<<20))

	def(&c.Log.Format, "json")
	def(&c.Log.Level, "info")

	def(&c.Memory.MaxRecords, 100_000)
	def(&c.Memory.MaxBytes, 256<<20)
	def(&c.Redis.Check, "refuse")
}

func def[T comparable](field *T, v T) {
	var zero T
	if *field == zero {
		*field = v
	}
}
