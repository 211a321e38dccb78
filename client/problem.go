package client

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
)

// ProblemBase is the prefix of every problem type URI idemproxy answers;
// each names the README section that documents the case. The client
// matches problems by these documented URIs and never imports the server.
const ProblemBase = "https://github.com/idemproxy/idemproxy#problem-"

// The problem types idemproxy answers, with their status codes. The default
// policy retries InProgress, StoreUnavailable and UpstreamUnreachable, and
// none of the others: a retry with the same key cannot change them.
const (
	ProblemMissingKey          = ProblemBase + "missing-key"          // 400
	ProblemInvalidKey          = ProblemBase + "invalid-key"          // 400
	ProblemMissingScope        = ProblemBase + "missing-scope"        // 400
	ProblemUnreadableBody      = ProblemBase + "unreadable-body"      // 400
	ProblemTooLarge            = ProblemBase + "request-too-large"    // 413
	ProblemKeyReused           = ProblemBase + "key-reused"           // 422
	ProblemInProgress          = ProblemBase + "in-progress"          // 409, retried
	ProblemAbandoned           = ProblemBase + "abandoned"            // 409
	ProblemPreviouslyFailed    = ProblemBase + "previously-failed"    // 409
	ProblemNotReplayable       = ProblemBase + "not-replayable"       // 409
	ProblemStoreUnavailable    = ProblemBase + "store-unavailable"    // 503, retried
	ProblemUpstreamUnreachable = ProblemBase + "upstream-unreachable" // 502, retried
	ProblemUpstreamTimeout     = ProblemBase + "upstream-timeout"     // 504
	ProblemUpstreamFailed      = ProblemBase + "upstream-failed"      // 502
)

// Problem is an RFC 9457 problem detail (application/problem+json). Its
// zero value means the response was not one.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// maxProblemBody bounds how much of a problem+json body the transport reads
// to learn its type. Problem bodies are a few hundred bytes.
const maxProblemBody = 64 << 10

// readProblem parses resp's body when it is application/problem+json, and
// puts back a body that reads the same bytes, so the caller still gets the
// response as the server sent it. A body read whole is closed at once (its
// connection goes back to the pool); a longer one is left open behind the
// bytes read. The error is the body's read error: the response broke.
func readProblem(resp *http.Response) (Problem, error) {
	if resp.Body == nil || resp.Body == http.NoBody || !isProblem(resp.Header) {
		return Problem{}, nil
	}
	orig := resp.Body
	b, err := io.ReadAll(io.LimitReader(orig, maxProblemBody+1))
	if err != nil {
		orig.Close()
		return Problem{}, err
	}
	if len(b) <= maxProblemBody {
		orig.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
	} else {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), orig), orig}
	}
	var p Problem
	if json.Unmarshal(b, &p) != nil {
		return Problem{}, nil // not what it says it is: no problem to branch on
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	return p, nil
}

func isProblem(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/problem+json"
}
