package main

import (
	"fmt"
	"strconv"
	"strings"
)

// stockFlag is -stock: SKU=N pairs, comma-separated, the flag repeatable.
// A SKU may be listed once.
type stockFlag map[string]int64

func (s stockFlag) String() string {
	pairs := make([]string, 0, len(s))
	for sku, n := range s {
		pairs = append(pairs, sku+"="+strconv.FormatInt(n, 10))
	}
	return strings.Join(pairs, ",")
}

func (s stockFlag) Set(v string) error {
	for pair := range strings.SplitSeq(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		// Split at the last '=': the count never contains one.
		i := strings.LastIndexByte(pair, '=')
		if i <= 0 {
			return fmt.Errorf("%q: want SKU=N", pair)
		}
		sku := pair[:i]
		n, err := strconv.ParseInt(pair[i+1:], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q: the count must be an integer ≥ 0", pair)
		}
		if _, dup := s[sku]; dup {
			return fmt.Errorf("%q: SKU %s is listed twice", pair, sku)
		}
		s[sku] = n
	}
	return nil
}
