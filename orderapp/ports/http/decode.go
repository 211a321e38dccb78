package httpport

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/idemproxy/idemproxy/orderapp/app"
	"github.com/idemproxy/idemproxy/orderapp/domain"
)

// field says where one JSON member decodes to, and what it must be (for
// the error message when it is not).
type field struct {
	dst  any
	want string
}

// decodePlaceOrder reads
//
//	{"customer_id": "...", "payment_token": "...",
//	 "lines": [{"sku": "...", "quantity": 1, "unit_price": "12.50"}]}
//
// into a command, checking only JSON shape: the use case checks values.
// Each line is decoded on its own so that errors carry its index, which
// encoding/json's own paths ("lines.quantity") leave out.
func decodePlaceOrder(body []byte) (app.PlaceOrderCommand, error) {
	var cmd app.PlaceOrderCommand
	var lines []json.RawMessage
	err := decodeObject(body, "", map[string]field{
		"customer_id":   {&cmd.CustomerID, "a string"},
		"payment_token": {&cmd.PaymentToken, "a string"},
		"lines":         {&lines, "an array of line items"},
	})
	if err != nil {
		return app.PlaceOrderCommand{}, err
	}
	cmd.Lines = make([]app.PlaceOrderLine, len(lines))
	for i, raw := range lines {
		l := &cmd.Lines[i]
		err := decodeObject(raw, "lines["+strconv.Itoa(i)+"]", map[string]field{
			"sku":        {&l.Sku, "a string"},
			"quantity":   {&l.Quantity, fmt.Sprintf("an integer from 1 to %d", domain.MaxQuantity)},
			"unit_price": {&l.UnitPrice, `a decimal string such as "12.50"`},
		})
		if err != nil {
			return app.PlaceOrderCommand{}, err
		}
	}
	return cmd, nil
}

// decodeObject decodes the JSON object data, found at path, member by
// member into fields. Members are matched by exact name (encoding/json
// alone would also take "Customer_ID"), unknown members are refused, and
// members are visited in name order so that the error reported for a bad
// body is always the same one. A null member leaves its destination at the
// zero value, which the use case then reports as missing.
func decodeObject(data []byte, path string, fields map[string]field) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		where := path
		if where == "" {
			where = "request body"
		}
		if len(data) == 0 {
			return &domain.ValidationError{Field: where, Reason: "is empty, want a JSON object"}
		}
		if syntax := (*json.SyntaxError)(nil); errors.As(err, &syntax) {
			return &domain.ValidationError{Field: where, Reason: fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)}
		}
		return &domain.ValidationError{Field: where, Reason: "must be a JSON object"}
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		at := name
		if path != "" {
			at = path + "." + name
		}
		f, ok := fields[name]
		if !ok {
			return &domain.ValidationError{Field: clip(at), Reason: "unknown field"}
		}
		if err := json.Unmarshal(members[name], f.dst); err != nil {
			return &domain.ValidationError{Field: at, Reason: "must be " + f.want}
		}
	}
	return nil
}

// clip bounds a client-chosen field name echoed in an error message.
func clip(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
