package redisstore_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		url        string
		addrs      []string
		user, pass string
		db         int
		master     string
		cluster    bool
		tls        bool
	}{
		{name: "Standalone", url: "redis://localhost", addrs: []string{"localhost:6379"}},
		{name: "StandalonePortDB", url: "redis://h:7000/3", addrs: []string{"h:7000"}, db: 3},
		{name: "ACL", url: "redis://app:s%40cret@h:7000/", addrs: []string{"h:7000"}, user: "app", pass: "s@cret"},
		{name: "PasswordOnly", url: "redis://:pw@h", addrs: []string{"h:6379"}, pass: "pw"},
		{name: "TLS", url: "rediss://h:6380", addrs: []string{"h:6380"}, tls: true},
		{name: "IPv6", url: "redis://[::1]:7000", addrs: []string{"[::1]:7000"}},
		{name: "IPv6NoPort", url: "redis://[::1]", addrs: []string{"[::1]:6379"}},
		{name: "Unix", url: "unix:///run/redis.sock?db=2", addrs: []string{"/run/redis.sock"}, db: 2},
		{name: "UnixACL", url: "unix://u:p@/run/redis.sock", addrs: []string{"/run/redis.sock"}, user: "u", pass: "p"},
		{name: "Cluster", url: "redis+cluster://a:1,b:2,[::1]:3", addrs: []string{"a:1", "b:2", "[::1]:3"}, cluster: true},
		{name: "ClusterOneSeed", url: "rediss+cluster://u:p@a:1", addrs: []string{"a:1"}, cluster: true, tls: true, user: "u", pass: "p"},
		{name: "Sentinel", url: "redis+sentinel://s1,s2:26380/mymaster/4", addrs: []string{"s1:26379", "s2:26380"}, master: "mymaster", db: 4},
		{name: "SentinelACL", url: "rediss+sentinel://u:p@s1:1/m?sentinel_username=su&sentinel_password=sp",
			addrs: []string{"s1:1"}, master: "m", user: "u", pass: "p", tls: true},
		{name: "Params", url: "redis://h?dial_timeout=250ms&read_timeout=2s&write_timeout=3s&pool_timeout=1s&pool_size=7&min_idle_conns=1&max_retries=-1&protocol=2&client_name=idem",
			addrs: []string{"h:6379"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := redisstore.ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL(%q): got error %v, want nil", tc.url, err)
			}
			if strings.Join(o.Addrs, " ") != strings.Join(tc.addrs, " ") {
				t.Errorf("Addrs: got %q, want %q", o.Addrs, tc.addrs)
			}
			if o.Username != tc.user || o.Password != tc.pass {
				t.Errorf("credentials: got %q/%q, want %q/%q", o.Username, o.Password, tc.user, tc.pass)
			}
			if o.DB != tc.db || o.MasterName != tc.master || o.IsClusterMode != tc.cluster {
				t.Errorf("db/master/cluster: got %d/%q/%v, want %d/%q/%v", o.DB, o.MasterName, o.IsClusterMode, tc.db, tc.master, tc.cluster)
			}
			if (o.TLSConfig != nil) != tc.tls {
				t.Errorf("TLS: got %v, want %v", o.TLSConfig != nil, tc.tls)
			}
		})
	}
}

func TestParseURLParams(t *testing.T) {
	t.Parallel()
	o, err := redisstore.ParseURL("redis+sentinel://s/m?dial_timeout=250ms&read_timeout=2s&write_timeout=3s&pool_timeout=1s&pool_size=7&min_idle_conns=1&max_retries=-1&protocol=2&client_name=idem&sentinel_username=su&sentinel_password=sp")
	if err != nil {
		t.Fatal(err)
	}
	if o.DialTimeout != 250*time.Millisecond || o.ReadTimeout != 2*time.Second || o.WriteTimeout != 3*time.Second || o.PoolTimeout != time.Second {
		t.Errorf("timeouts: got %v %v %v %v", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
	}
	if o.PoolSize != 7 || o.MinIdleConns != 1 || o.MaxRetries != -1 || o.Protocol != 2 || o.ClientName != "idem" {
		t.Errorf("ints: got pool %d idle %d retries %d protocol %d name %q", o.PoolSize, o.MinIdleConns, o.MaxRetries, o.Protocol, o.ClientName)
	}
	if o.SentinelUsername != "su" || o.SentinelPassword != "sp" {
		t.Errorf("sentinel credentials: got %q/%q, want su/sp", o.SentinelUsername, o.SentinelPassword)
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"",
		"localhost:6379",
		"http://h",
		"redis://",
		"redis://a:1,b:2", // several hosts need a topology
		"redis://h/notadb",
		"redis://h/1/2",
		"redis://h:0",
		"redis://h:99999",
		"redis://::1",         // IPv6 needs brackets
		"redis+cluster://h/1", // no database on a cluster
		"redis+sentinel://s",  // master name missing
		"redis+sentinel://s/m/x",
		"unix://host/path.sock", // a unix socket has no host
		"redis://h?unknown=1",
		"redis://h?dial_timeout=5",
		"redis://h?dial_timeout=-1s",
		"redis://h?pool_size=many",
		"redis://h?pool_size=-1", // go-redis would panic making the pool
		"redis://h?pool_size=0",
		"redis://h?min_idle_conns=-1",
		"redis://h?max_retries=-2",
		"unix:///s?db=-1",
		"redis://h?protocol=4",
		"redis://h?sentinel_password=x", // only for sentinel
	} {
		if o, err := redisstore.ParseURL(u); err == nil {
			t.Errorf("ParseURL(%q): got %+v, want an error", u, o)
		}
	}
}

// TestParseURLRedactsPasswords: errors never show a password, even one
// that is not percent-encoded or that sits in a URL net/url refuses.
func TestParseURLRedactsPasswords(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"redis://user:hunter2@h/x",
		"redis://user:hun/ter2@h:6379",  // a '/' in the password
		"redis://user:hun?ter2@h:6379",  // a '?' in the password
		"redis://user:hun#ter2@h:6379",  // a '#' in the password
		"redis://user:hunter2@h?x=a@b",  // an '@' further on
		"redis://hunter2@h:6379/notadb", // a password written as a user
		"redis+sentinel://s/m%zz?sentinel_password=hunter2",
		"redis+sentinel://s/m?sentinel_password=hunter2&bad=1",
		"redis+sentinel://s/m?sentinel%5Fpassword=hunter2&bad=1",
		"redis+sentinel://u:hunter2@s/m?pool_size=x",
	} {
		_, err := redisstore.ParseURL(u)
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ter2") {
			t.Errorf("ParseURL(%q): got error %v, want one without the password", u, err)
		}
	}
}

// TestParseURLUnencodedUserinfo: a '/' or '?' in the user info is refused
// with a message that says what to do, rather than read as a host.
func TestParseURLUnencodedUserinfo(t *testing.T) {
	t.Parallel()
	_, err := redisstore.ParseURL("redis://user:pa/ss@h:6379")
	if err == nil || !strings.Contains(err.Error(), "userinfo must be percent-encoded") {
		t.Fatalf("ParseURL: got %v, want a userinfo must be percent-encoded error", err)
	}
	o, err := redisstore.ParseURL("redis://user:pa%2Fss%3F@h:6379")
	if err != nil || o.Password != "pa/ss?" {
		t.Fatalf("ParseURL of the encoded form: got password %q, %v, want \"pa/ss?\", nil", o.Password, err)
	}
}

// FuzzParseURL: ParseURL never panics; what it accepts has at least one
// address, each a host:port (or a socket path for unix://); and an error
// never contains the password, whether it sits in the user info or in
// sentinel_password, encoded or not. Checked for passwords of at least 8
// bytes, by their inside (all but the first and last byte), found nowhere
// else in the URL; it counts as leaked only when the error for the same
// URL with the password replaced by "x" does not contain it too (a
// password may be a word of the message itself).
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://h:1/2", "unix:///s?db=1", "redis+cluster://a,b:2", "redis+sentinel://u:p@s/m/1?pool_size=2", "rediss://[::1]"} {
		f.Add(s, "", "")
	}
	for _, seed := range [][3]string{
		{"redis://", "h:6379", "pa/ss0rd"},
		{"redis+sentinel://", "s/m%zz?bad=1", "topsecret"},
		{"redis://", "h/x?", "hunter22?"},
		{"redis://", "/%0X", "&0000000"},      // an unencoded '&' cuts the password in two
		{"unix://?", "", "00000000"},          // a '?' before the user info's '@'
		{"redis://0", "", "@0000000"},         // an '@' in sentinel_password
		{"unix:///", "?db=0", "00000000"},     // a second '?' puts it in db's value
		{"0", "://", "00000000"},              // user info where the scheme goes
		{"redis://", "00000", " @000000"},     // the message's '@' next to the host
		{"redis://", "\xe100000", " 1000000"}, // %q's escapes
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, s, after, password string) {
		o, err := redisstore.ParseURL(s + after)
		if err == nil {
			if len(o.Addrs) == 0 {
				t.Fatalf("ParseURL(%q): no address", s)
			}
			for _, a := range o.Addrs {
				if a == "" {
					t.Fatalf("ParseURL(%q): empty address in %q", s, o.Addrs)
				}
			}
		}
		// The password's inside is what must not show: its first and last
		// bytes may meet the message's own text (a quote, a host).
		if len(password) < 8 {
			return
		}
		inner := password[1 : len(password)-1]
		withPassword := func(p string) []string {
			urls := []string{
				s + "user:" + p + "@" + after,
				s + ":" + p + "@" + after,
				s + after + "?sentinel_password=" + p + "&x=1",
			}
			if strings.Contains(s+after, "?") { // a parameter among others
				urls = append(urls, s+after+"&sentinel_password="+p)
			}
			return urls
		}
		plain := withPassword("x")
		for i, u := range withPassword(password) {
			if strings.Contains(plain[i], inner) || strings.Contains(strconv.Quote(plain[i]), inner) {
				continue // not only the password's (%q's escapes count)
			}
			_, err := redisstore.ParseURL(u)
			if err == nil || !strings.Contains(err.Error(), inner) {
				continue
			}
			if _, perr := redisstore.ParseURL(plain[i]); perr != nil && strings.Contains(perr.Error(), inner) {
				continue // the password is a word of the message
			}
			t.Fatalf("ParseURL(%q): error %q shows the password %q", u, err, password)
		}
	})
}
