package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// keyField is the seed's field for the key in an order file.
const keyField = "idempotency_key"

// order is an order file read for sending.
type order struct {
	body []byte // the JSON sent: the order without keyField
	key  string // keyField's value; empty when absent or null
}

// readOrder reads the order from path ("-": stdin).
func readOrder(path string, stdin io.Reader) (order, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return order{}, usagef("reading the order: %v", err)
	}
	o, err := parseOrder(data)
	if err != nil {
		return order{}, usagef("the order %s: %v", nameOf(path), err)
	}
	return o, nil
}

func nameOf(path string) string {
	if path == "-" {
		return "on stdin"
	}
	return path
}

// parseOrder takes keyField out of a JSON object and re-encodes the rest:
// compact, top-level fields sorted, so that the same order always sends the
// same bytes (the proxy fingerprints the body), whichever way the key came.
// The key may be a string or, as the seed's str() allowed, a number.
func parseOrder(data []byte) (order, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return order{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if fields == nil {
		return order{}, fmt.Errorf("not a JSON object: null")
	}
	if dec.More() {
		return order{}, fmt.Errorf("more than one JSON value")
	}
	var o order
	if raw, ok := fields[keyField]; ok {
		delete(fields, keyField)
		k, err := keyOf(raw)
		if err != nil {
			return order{}, err
		}
		o.key = k
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		n, _ := json.Marshal(name) // a string always marshals
		buf.Write(n)
		buf.WriteByte(':')
		if err := json.Compact(&buf, fields[name]); err != nil {
			return order{}, err // Decode already checked it
		}
	}
	buf.WriteByte('}')
	o.body = buf.Bytes()
	return o, nil
}

// keyOf reads the idempotency_key field: a string as is, a number as
// written, null as absent.
func keyOf(raw json.RawMessage) (string, error) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "null":
		return "", nil
	case strings.HasPrefix(s, `"`):
		var k string
		if err := json.Unmarshal(raw, &k); err != nil {
			return "", err
		}
		if k == "" {
			return "", fmt.Errorf("%s is empty", keyField)
		}
		return k, nil
	case s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9'):
		return s, nil
	}
	return "", fmt.Errorf("%s is %s: want a string", keyField, s)
}
