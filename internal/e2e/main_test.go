package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/idemproxy/idemproxy/internal/child"
	"github.com/idemproxy/idemproxy/internal/redistest"
)

// The binaries under test, built once by TestMain.
var idemproxyBin, orderappBin, orderctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idemproxy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	idemproxyBin, orderappBin, orderctlBin = filepath.Join(dir, "idemproxy"), filepath.Join(dir, "orderapp"), filepath.Join(dir, "orderctl")
	for bin, pkg := range map[string]string{idemproxyBin: "../../cmd/idemproxy", orderappBin: "../../cmd/orderapp", orderctlBin: "../../cmd/orderctl"} {
		if err := child.Build(bin, pkg, raceEnabled); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := redistest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
