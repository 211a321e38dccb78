package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/client"
)

// maxBody bounds the response body read; receipts and orders are small.
const maxBody = 1 << 20

// answer is how a request ended: a response (body read), or an error.
type answer struct {
	status int
	body   []byte
	res    client.Result
	err    error
}

// send sends req through the retrying transport, logging each retry on
// stderr. The error is only for a client that could not be made.
func send(req *http.Request, c common, stderr io.Writer) (answer, error) {
	hc, err := client.NewClient(client.Config{
		MaxAttempts: c.attempts,
		MaxElapsed:  -1, // -timeout, the request's deadline, bounds it
		OnRetry: func(r client.Retry) {
			fmt.Fprintf(stderr, "orderctl: attempt %d: %s; retrying in %v with the same key\n", r.Attempt, describe(r.Status, r.Problem, r.Err), r.Wait.Round(time.Millisecond))
		},
	})
	if err != nil {
		return answer{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return answer{err: err}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return answer{err: fmt.Errorf("reading the response: %w", err)}, nil
	}
	return answer{status: resp.StatusCode, body: body, res: client.ResultOf(resp)}, nil
}

// outcomeText is what a command says about each outcome on stderr.
type outcomeText struct {
	ok      func(client.Result) string // on success; "" says nothing
	refused string                     // advice after a refusal; "" none
	unknown string                     // advice when the outcome is unknown
}

// report writes the answer — the body on stdout when it succeeded, a
// diagnosis on stderr otherwise — and returns the exit status.
func (a answer) report(stdout, stderr io.Writer, t outcomeText) int {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "orderctl: "+format+"\n", args...) }
	switch {
	case a.err != nil:
		var gave *client.GaveUpError
		switch {
		case errors.As(a.err, &gave):
			say("gave up after %s (%s): %v", plural(gave.Attempts, "attempt"), gave.Reason, gave.Err)
		case errors.Is(a.err, context.DeadlineExceeded):
			say("gave up: -timeout ran out: %v", a.err)
		case errors.Is(a.err, context.Canceled):
			say("interrupted: %v", a.err)
		default:
			say("%v", a.err)
			return exitFailed
		}
		say("%s", t.unknown)
		return exitGaveUp
	case a.res.GaveUp != "":
		say("gave up after %s (%s): the last answer was %s", plural(a.res.Attempts, "attempt"), a.res.GaveUp, describe(a.status, problemOf(a), nil))
		say("%s", t.unknown)
		return exitGaveUp
	case a.status >= 200 && a.status < 300:
		stdout.Write(a.body)
		if len(a.body) > 0 && a.body[len(a.body)-1] != '\n' {
			fmt.Fprintln(stdout)
		}
		if msg := t.ok(a.res); msg != "" {
			say("%s", msg)
		}
		return exitOK
	case a.status >= 400 && a.status < 500:
		say("refused: %s", describe(a.status, problemOf(a), nil))
		if t.refused != "" {
			say("%s", t.refused)
		}
		return exitRefused
	default:
		say("failed: %s", describe(a.status, problemOf(a), nil))
		return exitFailed
	}
}

// problemOf returns the answer's problem: the problem+json the transport
// read, else the seed's {type, message} error body, which orderapp sends
// through the proxy.
func problemOf(a answer) client.Problem {
	if a.res.Problem.Type != "" {
		return a.res.Problem
	}
	var seed struct{ Type, Message string }
	if json.Unmarshal(a.body, &seed) == nil && seed.Type != "" {
		return client.Problem{Title: seed.Type, Detail: seed.Message}
	}
	return client.Problem{}
}

// describe says what an attempt got, in one line.
func describe(status int, p client.Problem, err error) string {
	if err != nil {
		return err.Error()
	}
	s := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if p.Title != "" {
		s = fmt.Sprintf("%d %s", status, p.Title)
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if name, ok := strings.CutPrefix(p.Type, client.ProblemBase); ok {
		s += " (" + name + ")"
	}
	return s
}
