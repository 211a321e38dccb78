package domain

import (
	"fmt"
	"math"
	"strings"
)

// minorPerMajor is how many minor units (cents) make one major unit. Money
// has one implicit currency with two decimal places, as the seed has.
const minorPerMajor = 100

// Money is a non-negative amount in integer minor units (cents). Integers
// keep sums exact: 0.10 + 0.20 is 0.30, never 0.30000000000000004. The zero
// value is zero.
type Money struct {
	minor int64
}

// MoneyFromMinor returns the amount of minor units (cents). Negative
// amounts are refused: an order never owes the customer money.
func MoneyFromMinor(minor int64) (Money, error) {
	if minor < 0 {
		return Money{}, &ValidationError{Reason: "must not be negative"}
	}
	return Money{minor: minor}, nil
}

// ParseMoney parses a plain decimal string with at most two decimal places:
// "12", "12.5", "12.50", "0.99". It is exact (no floating point) and strict:
// a sign, an exponent, spaces, a lone or trailing point (".5", "12."),
// separators ("1,000"), more than two decimal places ("12.500", even when
// the extra digits are zeros) and amounts beyond the int64 range of minor
// units are errors, each a *ValidationError with an empty Field.
func ParseMoney(s string) (Money, error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	switch {
	case s == "":
		return Money{}, &ValidationError{Reason: "is required"}
	case strings.HasPrefix(s, "-"):
		return Money{}, &ValidationError{Reason: "must not be negative"}
	case !isDigits(whole) || (hasPoint && !isDigits(frac)):
		return Money{}, &ValidationError{Reason: fmt.Sprintf("must be a plain decimal such as \"12.50\", got %q", clip(s))}
	case len(frac) > 2:
		return Money{}, &ValidationError{Reason: "must have at most 2 decimal places"}
	}
	tooLarge := &ValidationError{Reason: "is too large"}
	var major int64
	for i := 0; i < len(whole); i++ {
		d := int64(whole[i] - '0')
		if major > (math.MaxInt64-d)/10 {
			return Money{}, tooLarge
		}
		major = major*10 + d
	}
	var cents int64
	for i := 0; i < 2; i++ {
		cents *= 10
		if i < len(frac) {
			cents += int64(frac[i] - '0')
		}
	}
	if major > (math.MaxInt64-cents)/minorPerMajor {
		return Money{}, tooLarge
	}
	return Money{minor: major*minorPerMajor + cents}, nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens s for error messages, so a megabyte of garbage is not
// echoed back to the client.
func clip(s string) string {
	const limit = 32
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

// Minor returns the amount in minor units (cents).
func (m Money) Minor() int64 { return m.minor }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.minor == 0 }

// Add returns m + o, or an error when the sum does not fit.
func (m Money) Add(o Money) (Money, error) {
	if m.minor > math.MaxInt64-o.minor {
		return Money{}, &ValidationError{Reason: "amount is too large"}
	}
	return Money{minor: m.minor + o.minor}, nil
}

// Times returns m × n for n ≥ 0, or an error when the product does not fit.
func (m Money) Times(n int64) (Money, error) {
	if n < 0 {
		return Money{}, &ValidationError{Reason: "must not be negative"}
	}
	if n != 0 && m.minor > math.MaxInt64/n {
		return Money{}, &ValidationError{Reason: "amount is too large"}
	}
	return Money{minor: m.minor * n}, nil
}

// String formats the amount as a decimal with exactly two places ("12.50"),
// the form ParseMoney reads back.
func (m Money) String() string {
	return fmt.Sprintf("%d.%02d", m.minor/minorPerMajor, m.minor%minorPerMajor)
}
