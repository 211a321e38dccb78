package e2e

import (
	"net"
	"strings"
	"testing"
)

// TestStartWarnsWhenNothingListensUpstream: "your own API" not started yet
// is the first thing a new user meets; the proxy starts, and says so.
func TestStartWarnsWhenNothingListensUpstream(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := startProxy(t, nil, "-upstream", "http://"+addr)
	if out := p.output(); !strings.Contains(out, "nothing answers at the upstream yet") {
		t.Errorf("no warning that nothing listens at the upstream; output:\n%s", out)
	}
	up := startOrderapp(t)
	q := startProxy(t, nil, "-upstream", up)
	if strings.Contains(q.output(), "nothing answers at the upstream") {
		t.Errorf("warned with the upstream up")
	}
}
