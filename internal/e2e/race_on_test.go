//go:build race

package e2e

// raceEnabled builds the child binaries with -race when the tests run with
// it, so a data race in the real processes fails the run too.
const raceEnabled = true
