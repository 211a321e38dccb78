//go:build !linux

package child

import "os/exec"

// Start starts cmd. Outside Linux there is no Pdeathsig: a harness that
// dies without running its cleanups leaves its children running.
func Start(cmd *exec.Cmd) error { return cmd.Start() }
