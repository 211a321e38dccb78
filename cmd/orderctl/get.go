package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/idemproxy/idemproxy/client"
)

// get is `orderctl get ID`: GET /orders/ID.
func get(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var c common
	fs := newFlags("get", &c)
	pos, err := parse(fs, args, &c, stderr)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 || pos[0] == "" {
		return 0, usagef("get: want one order ID, got %q", pos)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := strings.TrimSuffix(c.url, "/") + "/orders/" + url.PathEscape(pos[0])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, usagef("-url: %v", err)
	}
	a, err := send(req, c, stderr)
	if err != nil {
		return 0, err
	}
	return a.report(stdout, stderr, outcomeText{
		ok:      func(client.Result) string { return "" },
		unknown: fmt.Sprintf("repeating it is safe: orderctl get %s", quote(pos[0])),
	}), nil
}
