package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/idemproxy/idemproxy/client"
)

// place is `orderctl place`: POST /orders with the order and its key.
func place(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	var c common
	fs := newFlags("place", &c)
	file := fs.String("f", "-", `the order file (JSON); "-" reads stdin`)
	flagKey := fs.String("key", "", `the idempotency key; default: the order's "idempotency_key", else a fresh one`)
	pos, err := parse(fs, args, &c, stderr)
	if err != nil {
		return 0, err
	}
	if len(pos) > 0 {
		return 0, usagef("place: unexpected arguments %q (the order comes from -f)", pos)
	}
	o, err := readOrder(*file, stdin)
	if err != nil {
		return 0, err
	}
	key := *flagKey
	switch {
	case key != "" && o.key != "" && key != o.key:
		fmt.Fprintf(stderr, "orderctl: -key %s replaces the order's %s %s\n", key, keyField, o.key)
	case key == "":
		key = o.key
	}
	fresh := key == ""
	if fresh {
		key = client.NewKey()
	}
	repeat := repeatCommand(*file, key, c)
	if fresh {
		// Before anything is sent: if this run dies, the user still
		// holds the key that makes a second run safe.
		fmt.Fprintf(stderr, "orderctl: no idempotency key given; this order's key is %s\n", key)
		fmt.Fprintf(stderr, "orderctl: to repeat it safely (it is placed at most once): %s\n", repeat)
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(client.WithKey(ctx, key), http.MethodPost, strings.TrimSuffix(c.url, "/")+"/orders", bytes.NewReader(o.body))
	if err != nil {
		return 0, usagef("-url: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := send(req, c, stderr)
	if err != nil {
		return 0, err
	}
	return a.report(stdout, stderr, outcomeText{
		ok: func(res client.Result) string {
			if res.Replayed {
				return fmt.Sprintf("replayed: this order was already placed with key %s; this is its receipt, nothing ran twice", key)
			}
			return fmt.Sprintf("placed: a new order (key %s, %s)", key, plural(res.Attempts, "attempt"))
		},
		refused: "to place a corrected order, use a new key (leave out -key, or change " + keyField + ")",
		unknown: "whether the order was placed is unknown; repeating it with the same key is safe: " + repeat,
	}), nil
}

// repeatCommand is the command line that sends this order again with key.
func repeatCommand(file, key string, c common) string {
	parts := []string{"orderctl", "place", "-f", quote(file), "-key", quote(key)}
	if c.urlSet {
		parts = append(parts, "-url", quote(c.url))
	}
	cmd := strings.Join(parts, " ")
	if file == "-" {
		cmd += " < order.json   # the same order on stdin"
	}
	return cmd
}

// quote quotes s for a POSIX shell when it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
