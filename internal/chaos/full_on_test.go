//go:build chaos

package chaos

// fullMatrix is true under -tags chaos (make chaos): every case runs.
const fullMatrix = true
