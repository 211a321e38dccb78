package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/idemproxy/idemproxy/internal/child"
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
	if err := buildAll(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := redistest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildAll builds the binaries and reads the Lua scripts they embed, so
// that the fault filters recognise exactly the scripts the binary sends;
// should a script change on disk during the build, it builds again.
func buildAll() error {
	for range 3 {
		before, err := readScripts()
		if err != nil {
			return err
		}
		for bin, pkg := range map[string]string{idemproxyBin: "../../cmd/idemproxy", orderappBin: "../../cmd/orderapp"} {
			if err := child.Build(bin, pkg, raceEnabled); err != nil {
				return err
			}
		}
		after, err := readScripts()
		if err != nil {
			return err
		}
		if maps.EqualFunc(before, after, func(a, b script) bool { return bytes.Equal(a.sha, b.sha) }) {
			scripts = after
			return nil
		}
	}
	return errors.New("store/redisstore/lua changed during every build")
}
