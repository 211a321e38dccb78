package main

import "testing"

func TestParseOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		wantBody string
		wantKey  string
		wantErr  bool
	}{
		{name: "no key", in: `{"payment_token":"tok_visa", "customer_id":"c-1"}`, wantBody: `{"customer_id":"c-1","payment_token":"tok_visa"}`},
		{name: "string key, stripped", in: `{"idempotency_key":"k-1","customer_id":"c-1"}`, wantBody: `{"customer_id":"c-1"}`, wantKey: "k-1"},
		{name: "number key, as written (the seed's str())", in: `{"idempotency_key": 12345, "customer_id":"c-1"}`, wantBody: `{"customer_id":"c-1"}`, wantKey: "12345"},
		{name: "null key", in: `{"idempotency_key":null,"customer_id":"c-1"}`, wantBody: `{"customer_id":"c-1"}`},
		{name: "nested objects keep their order, lose their spaces", in: "{\n \"lines\": [ {\"sku\": \"A\", \"quantity\": 2} ],\n \"customer_id\": \"c-1\"\n}\n",
			wantBody: `{"customer_id":"c-1","lines":[{"sku":"A","quantity":2}]}`},
		{name: "no HTML escaping", in: `{"customer_id":"<a&b>"}`, wantBody: `{"customer_id":"<a&b>"}`},
		{name: "an idempotency_key deeper down is the order's own", in: `{"lines":[{"idempotency_key":"x"}]}`, wantBody: `{"lines":[{"idempotency_key":"x"}]}`},
		{name: "empty key", in: `{"idempotency_key":""}`, wantErr: true},
		{name: "object key", in: `{"idempotency_key":{"a":1}}`, wantErr: true},
		{name: "boolean key", in: `{"idempotency_key":true}`, wantErr: true},
		{name: "not JSON", in: `customer=c-1`, wantErr: true},
		{name: "an array", in: `[1,2]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "two values", in: `{} {}`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseOrder([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Errorf("parseOrder(%q) = %q, %q; want an error", tc.in, o.body, o.key)
				}
				return
			}
			if err != nil || string(o.body) != tc.wantBody || o.key != tc.wantKey {
				t.Errorf("parseOrder(%q) = %q, %q, %v; want %q, %q", tc.in, o.body, o.key, err, tc.wantBody, tc.wantKey)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"order.json": "order.json", "k-1": "k-1", "http://localhost:8080": "http://localhost:8080",
		"my order.json": "'my order.json'", "it's": `'it'\''s'`, "": "''", "$(rm)": "'$(rm)'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
