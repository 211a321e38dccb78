package middleware_test

import (
	"os"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestMain shares one redis-server and one Redis Cluster, started by the
// tests, among this package's tests.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
