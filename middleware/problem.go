package middleware

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// ProblemBase is the prefix of every problem type URI; each names the README
// section that documents the case.
const ProblemBase = "https://github.com/idemproxy/idemproxy#problem-"

// ProblemType is the stable "type" of a problem+json body the middleware
// writes. Clients branch on it, never on the human-readable detail.
type ProblemType string

// The problems the middleware writes, with their status codes.
const (
	ProblemMissingKey       ProblemType = ProblemBase + "missing-key"       // 400
	ProblemInvalidKey       ProblemType = ProblemBase + "invalid-key"       // 400
	ProblemMissingScope     ProblemType = ProblemBase + "missing-scope"     // 400
	ProblemUnreadableBody   ProblemType = ProblemBase + "unreadable-body"   // 400
	ProblemInvalidBody      ProblemType = ProblemBase + "invalid-body"      // 400
	ProblemTooLarge         ProblemType = ProblemBase + "request-too-large" // 413
	ProblemKeyReused        ProblemType = ProblemBase + "key-reused"        // 422
	ProblemInProgress       ProblemType = ProblemBase + "in-progress"       // 409
	ProblemAbandoned        ProblemType = ProblemBase + "abandoned"         // 409
	ProblemPreviouslyFailed ProblemType = ProblemBase + "previously-failed" // 409
	ProblemNotReplayable    ProblemType = ProblemBase + "not-replayable"    // 409
	ProblemStoreUnavailable ProblemType = ProblemBase + "store-unavailable" // 503
	ProblemStoreFull        ProblemType = ProblemBase + "store-full"        // 503
)

// Problem is one RFC 9457 problem detail.
type Problem struct {
	Type   ProblemType
	Title  string
	Status int
	Detail string
	// RetryAfter, when positive, is sent as Retry-After (whole seconds,
	// rounded up).
	RetryAfter time.Duration
}

// WriteProblem writes p as application/problem+json. It is exported so the
// proxy's own errors (upstream unreachable, timeout) share the format.
func WriteProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(p.RetryAfter.Seconds()))))
	}
	w.WriteHeader(p.Status)
	// The fields are our own strings, so Marshal cannot fail.
	b, _ := json.Marshal(struct {
		Type   ProblemType `json:"type"`
		Title  string      `json:"title"`
		Status int         `json:"status"`
		Detail string      `json:"detail"`
	}{p.Type, p.Title, p.Status, p.Detail})
	b = append(b, '\n')
	_, _ = w.Write(b)
}
