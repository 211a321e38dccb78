package domain_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantMinor int64
		wantErr   bool
	}{
		{name: "whole", in: "12", wantMinor: 1200},
		{name: "one decimal", in: "12.5", wantMinor: 1250},
		{name: "two decimals", in: "12.50", wantMinor: 1250},
		{name: "cents only", in: "0.99", wantMinor: 99},
		{name: "zero", in: "0", wantMinor: 0},
		{name: "leading zeros", in: "007.05", wantMinor: 705},
		{name: "largest", in: "92233720368547758.07", wantMinor: math.MaxInt64},
		{name: "one cent over the largest", in: "92233720368547758.08", wantErr: true},
		{name: "whole part overflows", in: "99999999999999999999", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "negative", in: "-1.00", wantErr: true},
		{name: "plus sign", in: "+1.00", wantErr: true},
		{name: "three decimals", in: "12.500", wantErr: true},
		{name: "many decimals", in: "0.001", wantErr: true},
		{name: "exponent", in: "1e3", wantErr: true},
		{name: "upper exponent", in: "1E3", wantErr: true},
		{name: "leading point", in: ".5", wantErr: true},
		{name: "trailing point", in: "12.", wantErr: true},
		{name: "two points", in: "1.2.3", wantErr: true},
		{name: "spaces", in: " 12.50", wantErr: true},
		{name: "thousands separator", in: "1,000.00", wantErr: true},
		{name: "letters", in: "twelve", wantErr: true},
		{name: "hex", in: "0x10", wantErr: true},
		{name: "infinity", in: "Inf", wantErr: true},
		{name: "non-ASCII digit", in: "١٢", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseMoney(tc.in)
			if tc.wantErr {
				var ve *domain.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("ParseMoney(%q) error = %v, want a *ValidationError", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q) error = %v, want nil", tc.in, err)
			}
			if got.Minor() != tc.wantMinor {
				t.Errorf("ParseMoney(%q).Minor() = %d, want %d", tc.in, got.Minor(), tc.wantMinor)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int64
		want  string
	}{
		{name: "zero", minor: 0, want: "0.00"},
		{name: "one cent", minor: 1, want: "0.01"},
		{name: "ten cents", minor: 10, want: "0.10"},
		{name: "whole", minor: 1200, want: "12.00"},
		{name: "largest", minor: math.MaxInt64, want: "92233720368547758.07"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := domain.MoneyFromMinor(tc.minor)
			if err != nil {
				t.Fatalf("MoneyFromMinor(%d) error = %v", tc.minor, err)
			}
			if got := m.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMoneyArithmetic(t *testing.T) {
	t.Parallel()
	largest, _ := domain.MoneyFromMinor(math.MaxInt64)
	cent, _ := domain.MoneyFromMinor(1)
	tenCents, _ := domain.ParseMoney("0.10")
	twentyCents, _ := domain.ParseMoney("0.20")

	if got, err := tenCents.Add(twentyCents); err != nil || got.String() != "0.30" {
		t.Errorf("0.10 + 0.20 = %v, %v; want 0.30, nil", got, err)
	}
	if got, err := tenCents.Times(3); err != nil || got.String() != "0.30" {
		t.Errorf("0.10 × 3 = %v, %v; want 0.30, nil", got, err)
	}
	if _, err := largest.Add(cent); err == nil {
		t.Error("max + 0.01: error = nil, want overflow")
	}
	if _, err := largest.Times(2); err == nil {
		t.Error("max × 2: error = nil, want overflow")
	}
	if _, err := cent.Times(-1); err == nil {
		t.Error("0.01 × -1: error = nil, want an error")
	}
	if _, err := domain.MoneyFromMinor(-1); err == nil {
		t.Error("MoneyFromMinor(-1): error = nil, want an error")
	}
}

// FuzzParseMoney checks two properties of ParseMoney on any input: it never
// panics, and a string it accepts formats back (String) to a decimal equal
// in value to the input, which itself parses to the same Money. big.Rat is
// the independent oracle for "equal in value".
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12.50", "0", "0.01", "007.5", "92233720368547758.07", "92233720368547758.08",
		"-1", "1e3", ".5", "12.", "12.500", "", " 1", "1,0", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := domain.ParseMoney(s)
		if err != nil {
			return
		}
		formatted := m.String()
		in, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("ParseMoney(%q) accepted what big.Rat cannot read", s)
		}
		out, ok := new(big.Rat).SetString(formatted)
		if !ok || in.Cmp(out) != 0 {
			t.Fatalf("ParseMoney(%q).String() = %q, not the same value", s, formatted)
		}
		again, err := domain.ParseMoney(formatted)
		if err != nil || again != m {
			t.Fatalf("ParseMoney(%q) = %v, %v; want %v", formatted, again, err, m)
		}
	})
}
