//go:build race

package chaos

// raceEnabled builds the child binaries with -race when the tests run with
// it, so a data race in a real process fails the run too.
const raceEnabled = true
