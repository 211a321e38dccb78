package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/middleware"
	"github.com/idemproxy/idemproxy/store"
)

// records serves the operators' record operations on /records:
//
//	GET    /records?route=orders&scope=<scope value>&key=<Idempotency-Key>
//	DELETE /records?route=orders&scope=...&key=...
//	GET    /records?store_key=<scope hash>:<key hash>   (as logged)
//
// GET returns the record (state, status, lease, expiry, the stored
// response's headers and body digest; the body itself with body=1). DELETE
// removes it whatever its state, so the key can be used again: only for a
// record known to be wrong, since a deleted COMPLETED record lets a retry run
// twice. Other replicas may replay a cached copy of a deleted COMPLETED
// record for up to replay_cache.max_age. A GET or DELETE of a key with no
// record is 404. Both need "Authorization: Bearer <admin.token>" (the
// scheme in any case); without a configured token they are disabled.
type records struct {
	token string
	mw    *middleware.Middleware
	store store.Store
	log   *slog.Logger
}

func (h *records) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.token == "" {
		problem(w, http.StatusNotFound, "Record operations disabled", "Set admin.token (or IDEMPROXY_ADMIN_TOKEN) to enable them.")
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idemproxy-admin"`)
		problem(w, http.StatusUnauthorized, "Unauthorized", "Send Authorization: Bearer <admin token>.")
		return
	}
	key, err := h.storeKey(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "Bad record address", err.Error())
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.get(w, r, key)
	case http.MethodDelete:
		// Forget this replica's cached copy whether or not the delete
		// lands; other replicas' copies end within replay_cache.max_age.
		h.mw.Forget(key)
		err := h.store.Delete(r.Context(), key)
		// Again: a replay of the record in flight here may have cached it
		// between the first Forget and the Delete.
		h.mw.Forget(key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			noRecord(w, key)
			return
		case err != nil:
			problem(w, http.StatusServiceUnavailable, "Store error", err.Error())
			return
		}
		h.log.Warn("admin: record deleted", "store_key", key.String(), "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, DELETE")
		problem(w, http.StatusMethodNotAllowed, "Method not allowed", "Use GET or DELETE.")
	}
}

// storeKey finds the store key from (route, scope, key), derived the way
// the middleware does, or from store_key as logs show it.
func (h *records) storeKey(r *http.Request) (store.Key, error) {
	q := r.URL.Query()
	if sk := q.Get("store_key"); sk != "" {
		scope, id, _ := strings.Cut(sk, ":")
		k := store.Key{Scope: scope, ID: id}
		if err := k.Validate(); err != nil {
			return store.Key{}, errors.New("store_key must be <scope hash>:<key hash>, as logged")
		}
		return k, nil
	}
	route, key := q.Get("route"), q.Get("key")
	if route == "" || key == "" {
		return store.Key{}, errors.New("give route, scope and key (or store_key); routes: " + strings.Join(h.mw.RouteNames(), ", "))
	}
	return h.mw.StorageKey(route, q.Get("scope"), key)
}

func (h *records) get(w http.ResponseWriter, r *http.Request, key store.Key) {
	rec, err := h.store.Get(r.Context(), key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		noRecord(w, key)
		return
	case err != nil:
		problem(w, http.StatusServiceUnavailable, "Store error", err.Error())
		return
	}
	out := recordJSON{
		StoreKey: key.String(), State: rec.State.String(), Version: rec.Version,
		Status: rec.Status, ExpiresAt: rec.ExpiresAt,
	}
	if rec.State == store.InProgress {
		out.LeaseUntil = &rec.LeaseUntil
	}
	if resp := rec.Response; resp != nil {
		sum := sha256.Sum256(resp.Body)
		rj := &responseJSON{Status: resp.Status, Header: resp.Header, BodyBytes: len(resp.Body), BodySHA256: hex.EncodeToString(sum[:])}
		if r.URL.Query().Get("body") == "1" {
			if utf8.Valid(resp.Body) {
				rj.Body = string(resp.Body)
			} else {
				rj.BodyBase64 = base64.StdEncoding.EncodeToString(resp.Body)
			}
		}
		out.Response = rj
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

type recordJSON struct {
	StoreKey   string        `json:"store_key"`
	State      string        `json:"state"`
	Version    int64         `json:"version"`
	Status     int           `json:"status,omitempty"`
	LeaseUntil *time.Time    `json:"lease_until,omitempty"`
	ExpiresAt  time.Time     `json:"expires_at"`
	Response   *responseJSON `json:"response,omitempty"`
}

type responseJSON struct {
	Status     int                 `json:"status"`
	Header     map[string][]string `json:"header"`
	BodyBytes  int                 `json:"body_bytes"`
	BodySHA256 string              `json:"body_sha256"`
	Body       string              `json:"body,omitempty"`
	BodyBase64 string              `json:"body_base64,omitempty"`
}

// Admin problem types, documented in the README with the others.
const problemAdmin middleware.ProblemType = middleware.ProblemBase + "admin"

// noRecord answers a GET or DELETE of a key the store holds no record for
// (absent, expired, released or already deleted).
func noRecord(w http.ResponseWriter, key store.Key) {
	problem(w, http.StatusNotFound, "No such record", "No record is stored under "+key.String()+".")
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	middleware.WriteProblem(w, middleware.Problem{Type: problemAdmin, Status: status, Title: title, Detail: detail})
}
