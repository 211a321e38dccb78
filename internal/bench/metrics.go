package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Outcomes scrapes idemproxy_requests_total from the admin listener's
// /metrics and sums it over routes, by outcome. The harness compares the
// counts before and after a run with wrk's request count: a "replay" run
// that executed, or a "first request" run that got conflicts, is not what
// its row claims to measure.
func Outcomes(ctx context.Context, adminURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: %s", adminURL, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		labels, ok := strings.CutPrefix(line, "idemproxy_requests_total{")
		if !ok {
			continue
		}
		_, rest, ok := strings.Cut(labels, `outcome="`)
		if !ok {
			continue
		}
		outcome, _, _ := strings.Cut(rest, `"`)
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %v", line, err)
		}
		out[outcome] += v
	}
	return out, sc.Err()
}

// diff returns after - before, without the zero entries.
func diff(before, after map[string]float64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		if n := int64(v - before[k]); n != 0 {
			d[k] = n
		}
	}
	return d
}
