package proxyconfig

// Config is the whole configuration of the binary, as config.yaml spells
// it. Every field's zero value means its default (see Defaults).
type Config struct {
	// Listen is the proxy's address. Default: ":8080".
	Listen string `yaml:"listen"`
	// Upstream is the API the proxy fronts.
	Upstream Upstream `yaml:"upstream"`
	// Admin is the operators' listener.
	Admin Admin `yaml:"admin"`
	// Server holds the proxy listener's timeouts.
	Server Server `yaml:"server"`
	// Log says how and how much to log.
	Log Log `yaml:"log"`
	// Memory configures the in-process store, used when Redis is not set.
	Memory Memory `yaml:"memory"`
	// Redis configures the Redis store; with no URL and no addresses the
	// memory store is used.
	Redis Redis `yaml:"redis"`
	// Idempotency is the middleware's configuration.
	Idempotency Idempotency `yaml:"idempotency"`

	// origin records where each set field came from, for messages.
	origin origins `yaml:"-"`
}

// Upstream is the proxied API and the transport that reaches it.
type Upstream struct {
	// URL is the upstream's base URL (http or https); the request path is
	// appended to its path. Required.
	URL string `yaml:"url"`
	// DialTimeout bounds a TCP connect (and TLS handshake). Default: 5s.
	DialTimeout Duration `yaml:"dial_timeout"`
	// ResponseHeaderTimeout bounds the wait for the upstream's response
	// headers once the request is sent. Default: none; the route's
	// handler_timeout bounds the whole call.
	ResponseHeaderTimeout Duration `yaml:"response_header_timeout"`
	// IdleConnTimeout closes pooled connections idle this long. Default: 90s.
	IdleConnTimeout Duration `yaml:"idle_conn_timeout"`
	// MaxIdleConns bounds the idle pool. Default: 512.
	MaxIdleConns int `yaml:"max_idle_conns"`
	// MaxIdleConnsPerHost bounds the idle connections kept to the upstream;
	// net/http's default of 2 would dial anew for most requests under load.
	// Default: 256.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// MaxConnsPerHost bounds all connections to the upstream. Default: 0,
	// no bound.
	MaxConnsPerHost int `yaml:"max_conns_per_host"`
	// Host is the Host the upstream sees: "original", the client's (a
	// sidecar is transparent: the API sees what it would without it), or
	// "upstream", the upstream URL's host (for an upstream reached by a
	// name of its own, a virtual host or a TLS server name). Default:
	// "original".
	Host string `yaml:"host"`
	// TrustForwarded lists the inbound forwarding headers kept, because a
	// load balancer in front set them: X-Forwarded-For (the chain is kept
	// and the peer appended), X-Forwarded-Host and X-Forwarded-Proto
	// (passed on instead of this hop's own), Forwarded (passed on as is).
	// A header not listed is replaced by this hop's view (X-Forwarded-*)
	// or dropped (Forwarded). List none ([]) when clients reach the proxy
	// directly. Default: X-Forwarded-For, X-Forwarded-Host,
	// X-Forwarded-Proto.
	TrustForwarded []string `yaml:"trust_forwarded"`
}

// ForwardingHeaders are the inbound headers TrustForwarded may name.
var ForwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"}

// Admin is the operators' listener: /metrics, /healthz, /readyz and the
// record operations.
type Admin struct {
	// Listen is the admin address. Default: "127.0.0.1:9090".
	Listen string `yaml:"listen"`
	// Token protects the record operations (Authorization: Bearer <token>).
	// Default: none, and the record operations are disabled. Prefer the
	// IDEMPROXY_ADMIN_TOKEN environment variable to writing it here.
	Token string `yaml:"token"`
}

// Server holds the proxy listener's timeouts.
type Server struct {
	// ReadHeaderTimeout bounds reading a request's headers (slowloris).
	// Default: 10s.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included.
	// Default: 60s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a request's whole exchange, from its headers read
	// to its response written, so that a client that stops reading cannot
	// hold a connection, a goroutine and an upstream connection forever.
	// Covered routes are bounded sooner by handler_timeout +
	// handler_grace; this bounds the routes passed through, and must not
	// be shorter than that (it would cut covered responses first).
	// Default: 2m, or the longest handler_timeout + handler_grace + 30s
	// when that is longer. Raise it for long streams (downloads,
	// server-sent events) on passed-through routes.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle this long.
	// Default: 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds the graceful shutdown on SIGTERM: in-flight
	// requests get this long to finish and record. Default: 60s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// MaxHeaderBytes bounds a request's headers. Default: 1MiB.
	MaxHeaderBytes ByteSize `yaml:"max_header_bytes"`
}

// Log says how to log.
type Log struct {
	// Format is "json" or "text". Default: "json".
	Format string `yaml:"format"`
	// Level is "debug", "info", "warn" or "error". Default: "info".
	Level string `yaml:"level"`
	// Requests logs one line per proxied request (method, route, status,
	// duration, key hash) at info level. Default: false.
	Requests bool `yaml:"requests"`
}

// Memory configures the in-process store (memstore.Config).
type Memory struct {
	// MaxRecords bounds the records held. When full, the finished record
	// that finished first is forgotten to make room (a retry of it runs
	// again), never one in progress; only when nothing may be forgotten do
	// new keys get 503 store-full. Size it as new keys per second times
	// ttl. Default: 100000.
	MaxRecords int `yaml:"max_records"`
	// MinAge keeps a finished record from being forgotten until it
	// finished this long ago; a full store with none older refuses new
	// keys instead. Default: 0, no protection.
	MinAge Duration `yaml:"min_age"`
	// MaxBytes bounds the stored responses together; a response past it is
	// recorded completed but not replayable (retries get 409). Default:
	// 256MiB.
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// Redis configures the Redis store. Set URL, or Addrs (several → Cluster;
// with MasterName → Sentinel); the other fields refine either.
type Redis struct {
	// URL is a redis://, rediss:// or unix:// URL, or one of the Cluster
	// and Sentinel forms (see the README). Exclusive with Addrs.
	URL string `yaml:"url"`
	// Addrs are host:port addresses: one standalone server, several Cluster
	// nodes, or the sentinels when MasterName is set.
	Addrs []string `yaml:"addrs"`
	// MasterName is the Sentinel master name; setting it means Sentinel.
	MasterName string `yaml:"master_name"`
	// Username and Password authenticate to Redis (ACL user, or password
	// only). Prefer IDEMPROXY_REDIS_PASSWORD to writing the password here.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// SentinelUsername and SentinelPassword authenticate to the sentinels.
	SentinelUsername string `yaml:"sentinel_username"`
	SentinelPassword string `yaml:"sentinel_password"`
	// DB is the database number (standalone and Sentinel only). Default: 0.
	DB int `yaml:"db"`
	// TLS configures TLS to Redis.
	TLS TLS `yaml:"tls"`
	// DialTimeout, ReadTimeout, WriteTimeout and PoolTimeout bound a
	// connect, a command's read and write, and the wait for a pooled
	// connection. Default: 1s each.
	DialTimeout  Duration `yaml:"dial_timeout"`
	ReadTimeout  Duration `yaml:"read_timeout"`
	WriteTimeout Duration `yaml:"write_timeout"`
	PoolTimeout  Duration `yaml:"pool_timeout"`
	// PoolSize is the connections per node. Default: 10 per CPU.
	PoolSize int `yaml:"pool_size"`
	// MinIdleConns keeps this many connections open even when idle.
	// Default: 0 (see redisstore.NewClient: a minimum would redial in the
	// background the whole time Redis is down).
	MinIdleConns int `yaml:"min_idle_conns"`
	// MaxRetries retries a command that failed on the network; every store
	// script is safe to retry. Default: 2; -1 disables retries.
	MaxRetries int `yaml:"max_retries"`
	// KeyPrefix starts every key the store writes. Default: "idem:".
	KeyPrefix string `yaml:"key_prefix"`
	// Check is what to do when the server at start-up has a maxmemory-policy
	// that may evict records (an evicted record is a silent double
	// execution): "refuse" to start, or "warn". Default: "refuse".
	Check string `yaml:"check"`
}

// TLS configures TLS to Redis. A rediss:// URL turns it on too.
type TLS struct {
	// Enabled turns TLS on. Default: false (true for rediss://).
	Enabled bool `yaml:"enabled"`
	// ServerName overrides the name verified in the server's certificate.
	ServerName string `yaml:"server_name"`
	// CAFile is a PEM bundle of the CAs to trust. Default: the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate (mutual TLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify skips verifying the server: for tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Idempotency is the middleware's configuration (middleware.Config).
type Idempotency struct {
	// Header carries the key. Default: "Idempotency-Key".
	Header string `yaml:"header"`
	// FencingHeader carries the claim's fencing token to the upstream.
	// Default: "Idempotency-Fencing-Token".
	FencingHeader string `yaml:"fencing_header"`
	// Defaults is the policy of every route; a route overrides it field by
	// field.
	Defaults Policy `yaml:"defaults"`
	// Routes are the covered routes, first match wins. Default: one route,
	// "default", covering every path (POST and PATCH).
	Routes []Route `yaml:"routes"`
	// ReplayCache bounds the replica's cache of completed responses
	// (middleware.ReplayCache).
	ReplayCache ReplayCache `yaml:"replay_cache"`
}

// ReplayCache is middleware.ReplayCache. Zero fields take its defaults;
// max_entries -1 disables the cache.
type ReplayCache struct {
	MaxEntries int      `yaml:"max_entries"`
	MaxBytes   ByteSize `yaml:"max_bytes"`
	MaxAge     Duration `yaml:"max_age"`
}

// Route is one covered route (middleware.Route).
type Route struct {
	// Name labels the route in metrics. Default: its path.
	Name string `yaml:"name"`
	// Path matches the whole path; {name} matches one segment.
	Path string `yaml:"path"`
	// PathPrefix matches every path starting with it.
	PathPrefix string `yaml:"path_prefix"`
	// CaseSensitive matches path and path_prefix case-sensitively.
	// Default: false (see middleware.Route).
	CaseSensitive bool `yaml:"case_sensitive"`
	// Methods are the covered methods. Default: POST, PATCH.
	Methods []string `yaml:"methods"`
	// Policy overrides Idempotency.Defaults; its fields sit beside the
	// route's own.
	Policy `yaml:",inline"`
}

// Policy is middleware.Policy as the file spells it; see that type for the
// meaning and default of each field.
type Policy struct {
	Key                  string            `yaml:"key"`
	Scope                string            `yaml:"scope"`
	Anonymous            string            `yaml:"anonymous"`
	FingerprintHeaders   []string          `yaml:"fingerprint_headers"`
	Body                 string            `yaml:"body"`
	MaxRequestBody       ByteSize          `yaml:"max_request_body"`
	MaxResponseBody      ByteSize          `yaml:"max_response_body"`
	TTL                  Duration          `yaml:"ttl"`
	Lease                Duration          `yaml:"lease"`
	HandlerTimeout       Duration          `yaml:"handler_timeout"`
	HandlerGrace         Duration          `yaml:"handler_grace"`
	InProgress           string            `yaml:"in_progress"`
	WaitTimeout          Duration          `yaml:"wait_timeout"`
	OnAbandoned          string            `yaml:"on_abandoned"`
	Statuses             map[string]string `yaml:"statuses"`
	FailMode             string            `yaml:"fail_mode"`
	StoreTimeout         Duration          `yaml:"store_timeout"`
	ReplayExcludeHeaders []string          `yaml:"replay_exclude_headers"`
}

// UsesRedis reports whether Redis is configured; otherwise the memory store
// is used.
func (c *Config) UsesRedis() bool { return c.Redis.URL != "" || len(c.Redis.Addrs) > 0 }
