//go:build unix

package redistest

import "syscall"

// Pause stops the server process (SIGSTOP): it keeps its connections open
// and answers nothing until Resume, as a server stalled by the kernel, a
// long fork or a busy script does. Commands sent meanwhile queue in its
// sockets and run when it resumes. It panics on a shared server.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	if s.shared {
		panic("redistest: Pause or Resume on a shared server; use Start for a server of your own")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		_ = s.proc.cmd.Process.Signal(sig)
	}
}
