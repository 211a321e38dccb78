//go:build !chaos

package chaos

// fullMatrix is false in the everyday run (make test), which keeps a
// representative subset of the matrix.
const fullMatrix = false
