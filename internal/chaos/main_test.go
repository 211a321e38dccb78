package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// The binaries under test, built once by TestMain.
var idemproxyBin, orderappBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idemproxy-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	idemproxyBin, orderappBin = filepath.Join(dir, "idemproxy"), filepath.Join(dir, "orderapp")
	for bin, pkg := range map[string]string{idemproxyBin: "../../cmd/idemproxy", orderappBin: "../../cmd/orderapp"} {
		if err := build(bin, pkg); err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := redistest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

func build(out, pkg string) error {
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}
