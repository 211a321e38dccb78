package redistest

import (
	"fmt"
	"runtime"
	"testing"
)

// recordingTB records Fatal instead of failing the test, and ends the
// goroutine that called it, as testing.T's Fatal does.
type recordingTB struct {
	testing.TB
	msg string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// TestMissingBinaryNamesPackage: without redis-server on PATH, starting a
// server fails with a message naming the Debian package.
func TestMissingBinaryNamesPackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(rec)
	}()
	<-done
	if rec.msg != missingMessage {
		t.Fatalf("Start without redis-server: got Fatal %q, want %q", rec.msg, missingMessage)
	}
}
