package child

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestCleanEnvDropsIdemproxyVariables(t *testing.T) {
	t.Setenv("IDEMPROXY_REDIS", "redis://elsewhere")
	t.Setenv("CHILD_TEST_KEEP", "1")
	env := CleanEnv()
	if i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "IDEMPROXY_") }); i >= 0 {
		t.Errorf("CleanEnv kept %q", env[i])
	}
	if !slices.Contains(env, "CHILD_TEST_KEEP=1") {
		t.Errorf("CleanEnv dropped CHILD_TEST_KEEP=1")
	}
}

// TestStartRunsTheCommand: Start starts cmd, from any goroutine, as many
// times as asked.
func TestStartRunsTheCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for range 3 {
		cmd := exec.Command(sh, "-c", "exit 3")
		if err := Start(cmd); err != nil {
			t.Fatal(err)
		}
		var exit *exec.ExitError
		if err := cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("Wait = %v, want exit status 3", err)
		}
	}
}
