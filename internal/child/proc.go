package child

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Build builds the package pkg (a path as the go command takes it) into
// out, with -race when race is set, so that a data race in a child process
// fails the run as one in the test binary would. The go command's output
// goes to stderr.
func Build(out, pkg string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// CleanEnv is this process's environment without IDEMPROXY_* variables, so
// a developer's shell cannot change what a harness configures.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDEMPROXY_") {
			env = append(env, kv)
		}
	}
	return env
}
