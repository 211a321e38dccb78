//go:build !linux

package bench

import "os/exec"

// startCmd starts cmd. Outside Linux there is no Pdeathsig: an interrupted
// harness may leave its children running.
func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
