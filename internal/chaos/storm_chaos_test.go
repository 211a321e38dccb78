//go:build chaos

package chaos

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/redistest"
)

// TestDuplicateStormOnACluster is matrix row 1 on a 3-master Redis Cluster:
// the records spread over the masters' slots, each script touching one.
func TestDuplicateStormOnACluster(t *testing.T) {
	t.Parallel()
	storm(t, "redis+cluster://"+strings.Join(redistest.SharedCluster(t).Addrs(), ","), "", 500, 50, 3)
}

// TestDuplicateStormInWaitMode: with in_progress: wait, duplicates block
// until the first finishes (its Finish published across replicas), so every
// response is the first one, byte for byte, and none is 409.
func TestDuplicateStormInWaitMode(t *testing.T) {
	t.Parallel()
	storm(t, redisURL(redistest.Shared(t).Addr()), "wait", 500, 50, 3)
}
