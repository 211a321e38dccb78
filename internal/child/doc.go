// Package child holds the child-process plumbing that the test harnesses
// (internal/e2e, internal/chaos, internal/redistest) and the benchmark
// harness (internal/bench) share: building a command of this module once,
// an environment a developer's shell cannot reconfigure, and starting a
// child that dies with its parent.
//
// It is not test code because internal/bench, a non-test package, needs it
// too. How each harness waits for and reads its children's output differs
// (a ready line, any line, error returns or test failures), so that stays
// with each harness.
package child
