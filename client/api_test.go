package client_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// orderAPI stands in for an API behind idemproxy in the examples: a key's
// first request runs, a retry with the same key and body replays its
// response, another body with it is 422. first, when set, answers each
// key's first attempt instead (a store or an owner that is not ready yet).
type orderAPI struct {
	*httptest.Server
	first func(http.ResponseWriter)

	mu       sync.Mutex
	tries    int
	seen     map[string]int
	done     map[string]record
	executed int
}

type record struct{ body, response string }

func newOrderAPI(first func(http.ResponseWriter)) *orderAPI {
	a := &orderAPI{first: first, seen: map[string]int{}, done: map[string]record{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

func (a *orderAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tries++
	a.seen[key]++
	if a.seen[key] == 1 && a.first != nil {
		a.first(w)
		return
	}
	if rec, ok := a.done[key]; ok {
		if rec.body != string(body) {
			writeProblem(w, http.StatusUnprocessableEntity, "key-reused", "Idempotency key reused")
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, rec.response)
		return
	}
	a.executed++
	rec := record{body: string(body), response: fmt.Sprintf("{\"order\":%d}\n", a.executed)}
	a.done[key] = rec
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, rec.response)
}

func (a *orderAPI) placed() int   { a.mu.Lock(); defer a.mu.Unlock(); return a.executed }
func (a *orderAPI) attempts() int { a.mu.Lock(); defer a.mu.Unlock(); return a.tries }
func (a *orderAPI) keys() int     { a.mu.Lock(); defer a.mu.Unlock(); return len(a.seen) }

func storeUnavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "0")
	writeProblem(w, http.StatusServiceUnavailable, "store-unavailable", "Idempotency store unavailable")
}

func inProgress(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "0")
	writeProblem(w, http.StatusConflict, "in-progress", "Request in progress")
}

func writeProblem(w http.ResponseWriter, status int, name, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"https://github.com/idemproxy/idemproxy#problem-%s","title":%q,"status":%d}`+"\n", name, title, status)
}
