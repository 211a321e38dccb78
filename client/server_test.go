package client_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/client"
	"github.com/idemproxy/idemproxy/internal/upstream"
	"github.com/idemproxy/idemproxy/middleware"
)

// TestProblemTypesMatchTheServer: the client matches problems by their
// documented URIs, without importing the server; this test sees both and
// holds them together.
func TestProblemTypesMatchTheServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		client string
		server middleware.ProblemType
	}{
		{client.ProblemBase, middleware.ProblemBase},
		{client.ProblemMissingKey, middleware.ProblemMissingKey},
		{client.ProblemInvalidKey, middleware.ProblemInvalidKey},
		{client.ProblemMissingScope, middleware.ProblemMissingScope},
		{client.ProblemUnreadableBody, middleware.ProblemUnreadableBody},
		{client.ProblemTooLarge, middleware.ProblemTooLarge},
		{client.ProblemKeyReused, middleware.ProblemKeyReused},
		{client.ProblemInProgress, middleware.ProblemInProgress},
		{client.ProblemAbandoned, middleware.ProblemAbandoned},
		{client.ProblemPreviouslyFailed, middleware.ProblemPreviouslyFailed},
		{client.ProblemNotReplayable, middleware.ProblemNotReplayable},
		{client.ProblemStoreUnavailable, middleware.ProblemStoreUnavailable},
		{client.ProblemUpstreamUnreachable, upstream.ProblemUpstreamUnreachable},
		{client.ProblemUpstreamTimeout, upstream.ProblemUpstreamTimeout},
		{client.ProblemUpstreamFailed, upstream.ProblemUpstreamFailed},
	}
	for _, tc := range tests {
		if tc.client != string(tc.server) {
			t.Errorf("client has %q where the server writes %q", tc.client, tc.server)
		}
	}
}

// TestImportsNothingOfTheServer: a client library must not drag the
// middleware, the stores or Redis into its users' builds.
func TestImportsNothingOfTheServer(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/idemproxy/idemproxy/client").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if strings.HasPrefix(dep, "github.com/idemproxy/idemproxy/") && dep != "github.com/idemproxy/idemproxy/client" ||
			strings.HasPrefix(dep, "github.com/redis/") {
			t.Errorf("package client depends on %s", dep)
		}
	}
}
