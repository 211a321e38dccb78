package redisstore_test

import (
	"os"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestMain shares one standalone server and one cluster across the
// package's tests (see redistest).
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
