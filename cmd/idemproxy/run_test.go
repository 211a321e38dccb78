package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-version"}, noEnv, &out, &out)
	if code := exitCode(err, &out); code != 0 || !strings.HasPrefix(out.String(), "idemproxy ") {
		t.Errorf("-version = exit %d, %q; want 0 and a version line", code, out.String())
	}
}

func TestRunConfigErrorsExitNonZero(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		args []string
		want string
	}{
		{"unknown field", "upstream:\n  url: http://127.0.0.1:1\nredis:\n  adress: x\n", nil, "redis.adress: unknown field"},
		{"bad duration", "upstream:\n  url: http://127.0.0.1:1\nserver:\n  idle_timeout: soon\n", nil, "server.idle_timeout: invalid duration"},
		{"bad URL flag", "upstream:\n  url: http://127.0.0.1:1\n", []string{"-redis", "http://x"}, "-redis: redis.url:"},
		{"negative limit", "upstream:\n  url: http://127.0.0.1:1\nmemory:\n  max_records: -5\n", nil, "memory.max_records: must not be negative"},
		{"demo and upstream", "", []string{"-demo", "-upstream", "http://x"}, "-demo starts its own upstream"},
		{"stray argument", "", []string{"extra"}, "unexpected arguments"},
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
			var stderr bytes.Buffer
			err := run(context.Background(), args, noEnv, &stderr, &stderr)
			code := exitCode(err, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("run(%q) = exit %d, stderr:\n%s\nwant exit 2 and %q", args, code, stderr.String(), tc.want)
			}
		})
	}
}

func noEnv(string) (string, bool) { return "", false }
