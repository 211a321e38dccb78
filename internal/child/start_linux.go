package child

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// spawner starts every child from one goroutine locked to its OS thread,
// which never exits. The children get SIGKILL when their parent dies
// (Pdeathsig), so a harness that panics, times out or is interrupted leaves
// no process behind; Linux sends that signal when the thread that forked
// exits, not the process, hence the one thread kept for the whole run.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// Start starts cmd (as cmd.Start) with SIGKILL as its parent-death signal.
// It sets cmd.SysProcAttr.
func Start(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd, done}
	return <-done
}
