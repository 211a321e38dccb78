package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/idemproxy/idemproxy/middleware"
)

func TestUpstreamProblemClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want middleware.ProblemType
	}{
		{"dial refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, ProblemUpstreamUnreachable},
		{"dial timeout", &net.OpError{Op: "dial", Err: context.DeadlineExceeded}, ProblemUpstreamUnreachable},
		{"handler timeout", context.DeadlineExceeded, ProblemUpstreamTimeout},
		{"read reset", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, ProblemUpstreamFailed},
		{"EOF", io.ErrUnexpectedEOF, ProblemUpstreamFailed},
	}
	for _, tc := range tests {
		if got := upstreamProblem(tc.err).Type; got != tc.want {
			t.Errorf("%s: upstreamProblem(%v) = %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
}
