//go:build !linux

package redistest

import "os/exec"

// startCmd starts cmd. Outside Linux there is no Pdeathsig: a test binary
// that dies without running its cleanups leaves its servers running.
func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
