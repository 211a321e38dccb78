package bench

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxBlob is the largest response /blob answers.
const MaxBlob = 8 << 20

// SlowDelay is how long /slow-orders waits before it answers: an upstream
// whose latency is a database's or another service's, not the proxy's.
const SlowDelay = 2 * time.Millisecond

// Upstream is the orderapp-like trivial upstream every target ends at, so
// that the benchmark measures the proxies, not the API:
//
//   - POST /orders and /orders-json read the whole body and answer 201 with
//     a Location and a small JSON receipt (orderapp's shape, none of its
//     work);
//   - POST /slow-orders is /orders after SlowDelay, waited on a timer so
//     that it costs no CPU: the latency-bound upstream of the 2 ms rows,
//     where the proxy's added latency is what a client notices;
//   - POST /blob?size=N reads the whole body and answers N bytes (at most
//     MaxBlob) of random base64 text, which S2 cannot compress: the
//     1 MiB-body run.
func Upstream() http.Handler {
	var seq atomic.Uint64
	order := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		id := strconv.AppendUint(make([]byte, 0, 20), seq.Add(1), 16)
		b := make([]byte, 0, 96)
		b = append(b, `{"order_id":"`...)
		b = append(b, id...)
		b = append(b, `","customer_id":"c-1","total":"25.00"}`...)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Location", "/orders/"+string(id))
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/orders", order)
	mux.HandleFunc("/orders-json", order)
	mux.HandleFunc("/slow-orders", func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(SlowDelay)
		defer t.Stop()
		select {
		case <-t.C:
			order(w, r)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/blob", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n, err := strconv.Atoi(r.URL.Query().Get("size"))
		if err != nil || n < 0 || n > MaxBlob {
			http.Error(w, "size: 0 to "+strconv.Itoa(MaxBlob), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(blob()[:n])
	})
	return mux
}

// blob returns MaxBlob bytes of random base64 text, made once.
var blob = sync.OnceValue(func() []byte {
	raw := make([]byte, MaxBlob/4*3)
	_, _ = rand.Read(raw)
	out := make([]byte, MaxBlob)
	base64.StdEncoding.Encode(out, raw)
	return out
})
