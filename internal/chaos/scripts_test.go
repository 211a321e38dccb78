package chaos

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"regexp"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
)

// script recognises one of redisstore's Lua scripts on the wire: EVALSHA
// names it by its SHA-1, the EVAL fallback carries its text, whose contract
// comment opens with "-- <name>.lua:".
type script struct {
	name   string
	sha    []byte
	marker []byte
}

// scripts holds the scripts of store/redisstore/lua as the binaries under
// test embed them, by name; TestMain reads them around the build.
var scripts map[string]script

// scriptNames are the store's scripts.
var scriptNames = []string{"claim", "renew", "finish", "release", "get", "delete"}

// readScripts reads store/redisstore/lua/<name>.lua, the files the store
// embeds, so each SHA is the one the proxy sends.
func readScripts() (map[string]script, error) {
	out := map[string]script{}
	for _, name := range scriptNames {
		src, err := os.ReadFile("../../store/redisstore/lua/" + name + ".lua")
		if err != nil {
			return nil, err
		}
		sum := sha1.Sum(src)
		out[name] = script{name: name, sha: []byte(hex.EncodeToString(sum[:])), marker: []byte("-- " + name + ".lua:")}
	}
	return out, nil
}

// luaScript returns the script name as the binary under test sends it.
func luaScript(t *testing.T, name string) script {
	t.Helper()
	s, ok := scripts[name]
	if !ok {
		t.Fatalf("no script %q", name)
	}
	return s
}

// in reports whether a chunk the proxy sent to Redis runs the script.
func (s script) in(data []byte) bool {
	return bytes.Contains(data, s.sha) || bytes.Contains(data, s.marker)
}

// ownerToken finds the owner token among a script call's arguments: the
// middleware's per-process random prefix (crypto/rand.Text, 26 base32
// characters) and a base-36 counter.
var ownerToken = regexp.MustCompile(`[A-Z2-7]{26}-[0-9a-z]+`)

// loseReplies is a filter that lets a call to s reach Redis and then resets
// the connection instead of delivering Redis's reply — the reply is lost
// after the command ran — for the first lose calls of each owner token. It
// counts the calls it saw and the replies it lost.
type loseReplies struct {
	s    script
	lose int

	mu     sync.Mutex
	armed  map[*faultproxy.Link]bool
	byOwn  map[string]int // calls seen per owner
	calls  int
	lost   int
	owners map[string]bool
}

func newLoseReplies(s script, lose int) *loseReplies {
	return &loseReplies{s: s, lose: lose, armed: map[*faultproxy.Link]bool{}, byOwn: map[string]int{}, owners: map[string]bool{}}
}

func (l *loseReplies) filter(c faultproxy.Chunk) faultproxy.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch c.Dir {
	case faultproxy.ToTarget:
		if !l.s.in(c.Data) {
			return faultproxy.Decision{}
		}
		owner := string(ownerToken.Find(c.Data))
		l.calls++
		l.owners[owner] = true
		l.byOwn[owner]++
		if l.byOwn[owner] <= l.lose {
			l.armed[c.Link] = true
		}
	case faultproxy.ToClient:
		if l.armed[c.Link] {
			delete(l.armed, c.Link)
			l.lost++
			return faultproxy.Decision{Verdict: faultproxy.Reset}
		}
	}
	return faultproxy.Decision{}
}

// counts returns the calls seen, the replies lost and the owners seen.
func (l *loseReplies) counts() (calls, lost, owners int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls, l.lost, len(l.owners)
}

// holdCalls is a filter that blackholes the connection carrying the first
// call to s: the call never reaches Redis, its reply never comes, and the
// connection stays open. held is closed when that happens.
type holdCalls struct {
	s    script
	once sync.Once
	held chan struct{}
}

func newHoldCalls(s script) *holdCalls { return &holdCalls{s: s, held: make(chan struct{})} }

func (h *holdCalls) filter(c faultproxy.Chunk) faultproxy.Decision {
	if c.Dir != faultproxy.ToTarget || !h.s.in(c.Data) {
		return faultproxy.Decision{}
	}
	hold := false
	h.once.Do(func() { hold = true; close(h.held) })
	if !hold {
		return faultproxy.Decision{}
	}
	return faultproxy.Decision{Verdict: faultproxy.Hold}
}
