package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/child"
)

// TestConfigErrorsExitNonZeroNamingTheField runs the binary on bad
// configurations: each exits 2 before listening, naming the field.
func TestConfigErrorsExitNonZeroNamingTheField(t *testing.T) {
	t.Parallel()
	const upstream = "upstream:\n  url: http://127.0.0.1:1\n"
	tests := []struct {
		name string
		file string
		args []string
		env  []string
		want []string
	}{
		{name: "unknown field", file: upstream + "idempotency:\n  routes:\n    - path: /orders\n      scpoe: none\n",
			want: []string{"c.yaml:6: idempotency.routes[0].scpoe: unknown field"}},
		{name: "bad duration", file: upstream + "idempotency:\n  defaults:\n    ttl: forever\n",
			want: []string{"c.yaml:5: idempotency.defaults.ttl: invalid duration \"forever\""}},
		{name: "bad redis URL flag", file: upstream, args: []string{"-redis", "redis//nohost"},
			want: []string{"-redis: redis.url:"}},
		{name: "bad upstream URL from the environment", file: "", env: []string{"IDEMPROXY_UPSTREAM=localhost:8081"},
			want: []string{"IDEMPROXY_UPSTREAM: upstream.url:"}},
		{name: "negative limit", file: upstream + "idempotency:\n  defaults:\n    max_response_body: -1MiB\n",
			want: []string{"c.yaml:5: idempotency.defaults.max_response_body: must not be negative"}},
		{name: "all at once", file: "upstream:\n  url: ftp://x\nlog:\n  level: loud\n",
			want: []string{"c.yaml:2: upstream.url:", "c.yaml:4: log.level:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if tc.file != "" {
				path := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"-config", path}, args...)
			}
			cmd := exec.Command(idemproxyBin, args...)
			cmd.Env = append(child.CleanEnv(), tc.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("idemproxy %q: %v, want exit status 2\n%s", args, err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("idemproxy %q output:\n%s\nwant %q", args, out, w)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(idemproxyBin, "-version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "idemproxy ") {
		t.Errorf("idemproxy -version = %q, %v; want a version line, exit 0", out, err)
	}
}
