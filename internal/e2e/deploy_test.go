package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/idemproxy/idemproxy/internal/proxyconfig"
)

// metricName finds the metrics a PromQL expression reads: every name the
// proxy exports starts with one of these prefixes.
var metricName = regexp.MustCompile(`\b(?:idemproxy|go|process|promhttp)_[a-zA-Z0-9_]+\b`)

// outcomeMatcher finds outcome label matchers, to catch a misspelt outcome.
var outcomeMatcher = regexp.MustCompile(`outcome\s*(?:=~|=|!=|!~)\s*"([^"]*)"`)

// outcomes the middleware exports (middleware.Outcome).
var knownOutcomes = map[string]bool{
	"executed": true, "released": true, "replayed": true, "waited": true, "conflict": true,
	"mismatch": true, "failed_rejected": true, "abandoned": true, "not_replayable": true,
	"bypassed": true, "invalid_key": true, "missing_key": true, "missing_scope": true,
	"invalid_body": true, "too_large": true, "store_error": true,
}

// TestDeployQueriesOnlyExportedMetrics parses the Grafana dashboard and the
// Prometheus alert rules, then checks every metric they query against a
// scrape of a running proxy that has seen traffic of every kind the queries
// need (an executed order, a replay, a store error).
func TestDeployQueriesOnlyExportedMetrics(t *testing.T) {
	t.Parallel()
	exprs := map[string]string{} // where → expression
	for where, e := range dashboardExprs(t, "../../deploy/grafana/idemproxy-dashboard.json") {
		exprs[where] = e
	}
	for where, e := range alertExprs(t, "../../deploy/prometheus/alerts.yaml") {
		exprs[where] = e
	}

	exported := exportedMetrics(t)
	for where, e := range exprs {
		names := metricName.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("%s: %q queries no idemproxy metric", where, e)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("%s: metric %s is not in the proxy's /metrics", where, n)
			}
		}
		for _, m := range outcomeMatcher.FindAllStringSubmatch(e, -1) {
			for _, o := range strings.Split(m[1], "|") {
				if !knownOutcomes[o] {
					t.Errorf("%s: outcome %q does not exist", where, o)
				}
			}
		}
		if strings.Count(e, "(") != strings.Count(e, ")") || strings.Count(e, "{") != strings.Count(e, "}") {
			t.Errorf("%s: unbalanced brackets in %q", where, e)
		}
	}
}

// exportedMetrics runs a proxy whose memory store holds one record that
// it may not forget for an hour (min_age), sends an order (executed,
// stored), its replay, and a second key (the store is full: a store
// error), then returns the metric names of its /metrics.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	cfg := sampleConfig(t, "max_records: 100000", "max_records: 1", "min_age: 0s", "min_age: 1h")
	p := startProxy(t, nil, "-config", cfg, "-upstream", startOrderapp(t))
	body := order("c-metrics", "tok_visa", 1)
	for _, tc := range []struct {
		key  string
		want int
	}{{"m-1", http.StatusCreated}, {"m-1", http.StatusCreated}, {"m-2", http.StatusServiceUnavailable}} {
		if r := postOrder(t, p.url, tc.key, body); r.status != tc.want {
			t.Fatalf("POST key %s = %d %s, want %d", tc.key, r.status, r.body, tc.want)
		}
	}
	names := map[string]bool{}
	for s := range scrape(t, p.admin+"/metrics") {
		name, _, _ := strings.Cut(s, "{")
		names[name] = true
	}
	return names
}

// dashboardExprs returns every PromQL query of a Grafana dashboard: panel
// targets and templating queries.
func dashboardExprs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: want a uid, a title and panels", path)
	}
	out := map[string]string{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("%s: panel id %d is used twice", path, p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for i, tg := range p.Targets {
			out[path+": panel "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	for _, v := range dash.Templating.List {
		if v.Definition != "" {
			out[path+": variable "+v.Name] = v.Definition
		}
	}
	return out
}

// alertExprs strictly decodes Prometheus alert rules and returns their
// expressions.
func alertExprs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, g := range rules.Groups {
		if len(g.Rules) == 0 {
			t.Errorf("%s: group %q has no rules", path, g.Name)
		}
		for _, r := range g.Rules {
			where := path + ": " + r.Alert
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: want alert, expr, labels.severity and annotations.summary", where)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			out[where] = r.Expr
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", path)
	}
	return out
}

// TestKubernetesExampleConfigLoads loads the proxy configuration embedded
// in the sidecar example, so the example cannot drift from the schema.
func TestKubernetesExampleConfigLoads(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../deploy/kubernetes/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var found bool
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("sidecar.yaml: %v", err)
		}
		if doc.Kind != "ConfigMap" {
			continue
		}
		found = true
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(doc.Data["config.yaml"]), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := proxyconfig.Load(proxyconfig.Sources{File: path}); err != nil {
			t.Errorf("the sidecar example's config.yaml: %v", err)
		}
	}
	if !found {
		t.Fatal("sidecar.yaml has no ConfigMap with config.yaml")
	}
}
