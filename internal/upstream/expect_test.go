package upstream

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestExpectContinueIsAnsweredOnce sends Expect: 100-continue on a covered
// and on a passed-through route. The client must get exactly one
// 100 Continue before the final response, and the upstream, which gets the
// body from the proxy, must not be asked to expect anything.
func TestExpectContinueIsAnsweredOnce(t *testing.T) {
	t.Parallel()
	var expects atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Expect") != "" {
			expects.Add(1)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	srv := serveProxy(t, up.URL, io.Discard)

	for _, path := range []string{"/orders", "/other"} {
		t.Run(path, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			body := `{"a":1}`
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k%s\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", path, path, len(body))
			br := bufio.NewReader(conn)
			continues, sent := 0, false
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading the responses: %v", err)
				}
				if !strings.HasPrefix(line, "HTTP/1.1 ") {
					continue // a header line
				}
				if strings.HasPrefix(line, "HTTP/1.1 100 ") {
					continues++
					if !sent {
						_, _ = io.WriteString(conn, body)
						sent = true
					}
					continue
				}
				if !strings.HasPrefix(line, "HTTP/1.1 201 ") {
					t.Fatalf("final status line %q, want 201", line)
				}
				break
			}
			if continues != 1 {
				t.Errorf("%d 100 Continue responses, want 1", continues)
			}
		})
	}
	if n := expects.Load(); n != 0 {
		t.Errorf("the upstream was sent Expect %d times, want never", n)
	}
}
