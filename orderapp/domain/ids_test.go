package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/orderapp/domain"
)

func TestNewSku(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "typical", in: "ABC-123"},
		{name: "punctuation", in: "a.b_c/d:e"},
		{name: "longest", in: strings.Repeat("x", domain.MaxSkuLen)},
		{name: "empty", in: "", wantErr: true},
		{name: "too long", in: strings.Repeat("x", domain.MaxSkuLen+1), wantErr: true},
		{name: "space", in: "AB C", wantErr: true},
		{name: "tab", in: "AB\tC", wantErr: true},
		{name: "non-ASCII", in: "café", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.NewSku(tc.in)
			assertValidation(t, err, tc.wantErr, "sku")
			if !tc.wantErr && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestNewCustomerID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "typical", in: "cust-42"},
		{name: "unicode", in: "Müller 株式会社"},
		{name: "longest", in: strings.Repeat("c", domain.MaxCustomerIDLen)},
		{name: "empty", in: "", wantErr: true},
		{name: "only spaces", in: "   ", wantErr: true},
		{name: "too long", in: strings.Repeat("c", domain.MaxCustomerIDLen+1), wantErr: true},
		{name: "control character", in: "a\x00b", wantErr: true},
		{name: "invalid UTF-8", in: "a\xffb", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.NewCustomerID(tc.in)
			assertValidation(t, err, tc.wantErr, "customer_id")
			if !tc.wantErr && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestParseOrderID(t *testing.T) {
	t.Parallel()
	fresh := domain.NewOrderID()
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "fresh", in: fresh.String()},
		{name: "upper case", in: strings.ToUpper(fresh.String())},
		{name: "empty", in: "", wantErr: true},
		{name: "not a uuid", in: "order-1", wantErr: true},
		{name: "nil uuid", in: "00000000-0000-0000-0000-000000000000", wantErr: true},
		{name: "braces", in: "{" + fresh.String() + "}", wantErr: true},
		{name: "urn", in: "urn:uuid:" + fresh.String(), wantErr: true},
		{name: "no hyphens", in: strings.ReplaceAll(fresh.String(), "-", ""), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseOrderID(tc.in)
			assertValidation(t, err, tc.wantErr, "order_id")
			if !tc.wantErr && got != fresh {
				t.Errorf("ParseOrderID(%q) = %v, want %v", tc.in, got, fresh)
			}
		})
	}
}

func TestNewOrderIDIsUnique(t *testing.T) {
	t.Parallel()
	a, b := domain.NewOrderID(), domain.NewOrderID()
	if a == b || a.IsZero() {
		t.Errorf("NewOrderID() twice = %v, %v; want two distinct non-zero IDs", a, b)
	}
}

func TestInField(t *testing.T) {
	t.Parallel()
	other := errors.New("boom")
	tests := []struct {
		name string
		path string
		err  error
		want string
	}{
		{name: "unnamed field takes the path", path: "lines[0].unit_price", err: &domain.ValidationError{Reason: "r"}, want: "lines[0].unit_price: r"},
		{name: "named field goes under the path", path: "lines[2]", err: &domain.ValidationError{Field: "quantity", Reason: "r"}, want: "lines[2].quantity: r"},
		{name: "other errors pass", path: "x", err: other, want: "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.InField(tc.path, tc.err).Error(); got != tc.want {
				t.Errorf("InField(%q, %v) = %q, want %q", tc.path, tc.err, got, tc.want)
			}
		})
	}
}

// assertValidation checks err against wantErr and, for an error, that it is
// a *ValidationError naming field.
func assertValidation(t *testing.T, err error, wantErr bool, field string) {
	t.Helper()
	if !wantErr {
		if err != nil {
			t.Fatalf("error = %v, want nil", err)
		}
		return
	}
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	if ve.Field != field {
		t.Errorf("Field = %q, want %q", ve.Field, field)
	}
}
