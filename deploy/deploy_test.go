package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// exportedMetrics are the series fgd-sync's processes export, with the
// labels each carries. The rules and the dashboard may query only these;
// a renamed metric breaks this list and the test, not an alert in
// production.
var exportedMetrics = map[string][]string{
	// Syncs, per fabric (worker).
	"fgd_syncs_total":                            {"fabric", "trigger", "state"},
	"fgd_sync_duration_seconds_bucket":           {"fabric", "stage", "le"},
	"fgd_sync_duration_seconds_sum":              {"fabric", "stage"},
	"fgd_sync_duration_seconds_count":            {"fabric", "stage"},
	"fgd_last_successful_sync_timestamp_seconds": {"fabric"},
	// The fabric's periodic sync interval; 0 or absent when it has none.
	"fgd_fabric_sync_interval_seconds": {"fabric"},
	// GitHub headroom, from the X-RateLimit-Remaining, -Limit and -Reset
	// headers of each process's last API response. installation is the
	// GitHub App installation ID, or "token" for a personal access token:
	// each has its own budget.
	"fgd_github_rate_limit_remaining":               {"installation"},
	"fgd_github_rate_limit_limit":                   {"installation"},
	"fgd_github_rate_limit_reset_timestamp_seconds": {"installation"},
	// Circuit breakers per remote host (github/breaker.go).
	"fgd_circuit_breaker_state": {"host"},
	// Build (internal/buildinfo).
	"fgd_build_info": {"version", "commit", "go"},
	// Webhook server (handlers/metrics.go).
	"fgd_webhook_deliveries_total":                {"event", "outcome"},
	"fgd_webhook_enqueue_duration_seconds_bucket": {"le"},
	"fgd_webhook_enqueue_duration_seconds_sum":    {},
	"fgd_webhook_enqueue_duration_seconds_count":  {},
	// Health check (jobs/schedule.go).
	"fgd_redis_latency_seconds": {},
	"fgd_queue_backlog":         {"state"},
	// asynq's queue metrics (github.com/hibiken/asynq/x/metrics), read from
	// Redis at scrape time.
	"asynq_tasks_enqueued_total":            {"queue", "state"},
	"asynq_queue_size":                      {"queue"},
	"asynq_queue_latency_seconds":           {"queue"},
	"asynq_queue_memory_usage_approx_bytes": {"queue"},
	"asynq_tasks_processed_total":           {"queue"},
	"asynq_tasks_failed_total":              {"queue"},
	"asynq_queue_paused_total":              {"queue"},
}

// requiredAlerts are the alerts operators were promised.
var requiredAlerts = []string{"FgdSyncStale", "FgdQueueBacklogGrowing", "FgdCircuitBreakerOpen", "FgdGitHubRateLimitLow"}

// TestPromtool runs `promtool check rules` and `promtool test rules`: the
// rules parse, and every alert fires and stays quiet where its test file
// says. promtool is the version pinned in tools/go.mod (`make promtool`
// builds it into bin/; .ci/run does), or the binary $PROMTOOL names. Not whatever promtool is on PATH:
// Prometheus 3 changed range selectors to left-open, and the tests pin
// the semantics the rules are written for.
func TestPromtool(t *testing.T) {
	rules, err := filepath.Abs("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := filepath.Abs("prometheus/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", rules}, {"test", "rules", tests}} {
		cmd := promtool(t, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		}
		t.Logf("%s\n%s", strings.Join(cmd.Args, " "), out)
	}
}

// promtool finds the pinned promtool: $PROMTOOL, else bin/promtool as
// `make promtool` builds it. Building it takes minutes, so a test run does
// not do it by itself; CI does it first.
func promtool(t *testing.T, args ...string) *exec.Cmd {
	if p := os.Getenv("PROMTOOL"); p != "" {
		return exec.Command(p, args...)
	}
	p, err := filepath.Abs("../bin/promtool")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skip("promtool is not installed: run `make promtool` (or set PROMTOOL) to run the alert tests; TestAlertRules still checks the rules")
	}
	return exec.Command(p, args...)
}

type ruleFile struct {
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

// TestAlertRules checks what promtool does not: the promised alerts exist,
// each says how bad it is and where its runbook is, and each queries only
// exported metrics with their real labels.
func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	var names []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			t.Run(r.Alert, func(t *testing.T) {
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("severity label %q, want critical or warning", s)
				}
				for _, a := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("annotation %s is missing", a)
					}
				}
				wantRunbook := "docs/operations.md#" + strings.ToLower(r.Alert)
				if !strings.HasSuffix(r.Annotations["runbook_url"], wantRunbook) {
					t.Errorf("runbook_url %q does not point at %s", r.Annotations["runbook_url"], wantRunbook)
				}
				checkQuery(t, r.Expr)
			})
		}
	}
	for _, want := range requiredAlerts {
		if !slices.Contains(names, want) {
			t.Errorf("alert %s is missing; have %v", want, names)
		}
	}
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Definition string          `json:"definition"`
			Datasource json.RawMessage `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Panels     []panel     `json:"panels"`
	Targets    []struct {
		Expr       string      `json:"expr"`
		RefID      string      `json:"refId"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// TestGrafanaDashboard checks the dashboard is valid JSON Grafana can
// import, that it shows what operators were promised, and that every query
// names only exported metrics with their real labels.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("grafana/fgd-sync.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("fgd-sync.json is not valid JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	ids := map[int]string{}
	queried := map[string]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if prev, dup := ids[p.ID]; dup {
				t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
			}
			ids[p.ID] = p.Title
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no queries", p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q does not use the $datasource variable", p.Title)
			}
			for _, tg := range p.Targets {
				t.Run(p.Title+"/"+tg.RefID, func(t *testing.T) {
					for _, m := range checkQuery(t, grafanaToPromQL(tg.Expr)) {
						queried[m] = true
					}
				})
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if m := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`).FindStringSubmatch(v.Definition); m != nil {
			checkLabels(t, m[1], []string{m[2]})
		} else if v.Type == "query" {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, v.Definition)
		}
	}
	for _, want := range []string{
		"fgd_syncs_total", "fgd_sync_duration_seconds_bucket", "fgd_last_successful_sync_timestamp_seconds",
		"asynq_queue_size", "asynq_queue_latency_seconds", "fgd_circuit_breaker_state",
		"fgd_github_rate_limit_remaining", "fgd_build_info",
	} {
		if !queried[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

// grafanaToPromQL replaces Grafana's variables with values PromQL accepts.
func grafanaToPromQL(expr string) string {
	return strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h").Replace(expr)
}

// checkQuery fails t when query names a metric fgd-sync does not export, or
// groups or matches by a label the metric does not carry. It returns the
// metrics named.
func checkQuery(t *testing.T, query string) []string {
	t.Helper()
	sels, err := selectors(query)
	if err != nil {
		t.Fatalf("%v in %q", err, query)
	}
	if len(sels) == 0 {
		t.Fatalf("no metric in %q", query)
	}
	var metrics []string
	labels := groupingLabels(query)
	for _, s := range sels {
		metrics = append(metrics, s.metric)
		checkLabels(t, s.metric, s.labels)
	}
	// Every by/on label must exist on at least one metric of the query
	// (PromQL groups across operands).
	for _, l := range labels {
		found := false
		for _, m := range metrics {
			found = found || slices.Contains(exportedMetrics[m], l) || l == "instance" || l == "job"
		}
		if !found {
			t.Errorf("%q groups by %s, which none of %v carries", query, l, metrics)
		}
	}
	return metrics
}

func checkLabels(t *testing.T, metric string, labels []string) {
	t.Helper()
	known, ok := exportedMetrics[metric]
	if !ok {
		t.Errorf("metric %s is not exported by fgd-sync", metric)
		return
	}
	for _, l := range labels {
		if !slices.Contains(known, l) && l != "instance" && l != "job" {
			t.Errorf("metric %s has no label %s (it has %v)", metric, l, known)
		}
	}
}
