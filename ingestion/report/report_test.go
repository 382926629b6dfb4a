package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
)

// plan ingests a small FGD with one Hedgehog rule error, one YAML error,
// one integrity error and warnings, the way fgdctl validate would.
func plan(t *testing.T) *ingestion.Plan {
	t.Helper()
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	in := fstest.MapFS{
		// VPC-8: a /31 subnet, line 8.
		"raw/vpc.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets:\n    default:\n      subnet: 10.0.1.0/31\n      vlan: 1001\n")},
		// FGD_1001 at line 3.
		"raw/broken.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: [\n")},
		// VA-5: the FGD holds VPCs, but not vpc-9.
		"raw/attach.yaml":         {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: c-1\n  subnet: vpc-9/default\n")},
		"managed/vpcs/vpc-2.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.0.2.0/24\n      vlan: 1002\n")},
	}
	p, err := ingestion.Ingest(in, ingestion.Options{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) < 3 || len(p.Warnings) == 0 {
		t.Fatalf("the fixture must give errors and warnings: %+v %+v", p.Errors, p.Warnings)
	}
	return p
}

func TestSARIF(t *testing.T) {
	p := plan(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, p, Options{ToolVersion: "1.2.3", PathPrefix: "fabrics/dc1"}); err != nil {
		t.Fatal(err)
	}
	// The library's own check against the SARIF 2.1.0 schema.
	parsed, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v\n%s", err, buf.String())
	}

	// And structurally, read as plain JSON.
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-schema-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "fgd-sync" || run.Tool.Driver.Version != "1.2.3" {
		t.Fatalf("driver %+v", run.Tool.Driver)
	}
	rules := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		if _, dup := rules[r.ID]; dup || r.ShortDescription.Text == "" || r.HelpURI == "" {
			t.Errorf("rule %d: %+v", i, r)
		}
		rules[r.ID] = i
	}
	issues := append(append([]ingestion.Issue(nil), p.Errors...), p.Warnings...)
	if len(run.Results) != len(issues) {
		t.Fatalf("%d results for %d issues", len(run.Results), len(issues))
	}
	for i, res := range run.Results {
		is := issues[i]
		want := is.Rule
		if want == "" {
			want = string(is.Code)
		}
		level := "error"
		if i >= len(p.Errors) {
			level = "warning"
		}
		if idx, ok := rules[res.RuleID]; !ok || idx != res.RuleIndex || res.RuleID != want || res.Level != level {
			t.Errorf("result %d: rule %q (index %d), level %s; want rule %q, level %s", i, res.RuleID, res.RuleIndex, res.Level, want, level)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d: %d locations", i, len(res.Locations))
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "fabrics/dc1/"+is.File || loc.Region.StartLine != max(is.Line, 1) {
			t.Errorf("result %d at %s:%d, want fabrics/dc1/%s:%d", i, loc.ArtifactLocation.URI, loc.Region.StartLine, is.File, is.Line)
		}
		if !strings.Contains(res.Message.Text, string(is.Code)) || !strings.Contains(res.Message.Text, is.Message) {
			t.Errorf("result %d: message %q", i, res.Message.Text)
		}
	}
	// The three kinds of rule: a Hedgehog rule, a plain FGD code, and an
	// integrity rule.
	for _, id := range []string{"VPC-8", string(fgderr.InvalidYAML), "VA-5"} {
		if _, ok := rules[id]; !ok {
			t.Errorf("rule %s missing from the driver's rules %v", id, rules)
		}
	}
}

// TestSARIFNoIssues: code scanning needs a results array even when there is
// nothing to report.
func TestSARIFNoIssues(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, &ingestion.Plan{}, Options{}); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	results, ok := log["runs"].([]any)[0].(map[string]any)["results"].([]any)
	if !ok || len(results) != 0 {
		t.Fatalf("results %v in\n%s", results, buf.String())
	}
}

func TestJSON(t *testing.T) {
	p := plan(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, p, Options{}); err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Valid || len(got.Errors) != len(p.Errors) || len(got.Warnings) != len(p.Warnings) || got.Counts != p.Counts {
		t.Fatalf("got %+v", got)
	}
	for i, e := range got.Errors {
		if e != p.Errors[i] {
			t.Errorf("error %d: %+v, want %+v", i, e, p.Errors[i])
		}
	}
	// Each error keeps its rule id, for scripts that group by rule.
	found := false
	for _, e := range got.Errors {
		found = found || (e.Rule == "VPC-8" && strings.HasSuffix(e.Message, "[VPC-8]") && e.Path == "spec.subnets.default.subnet" && e.Line == 8)
	}
	if !found {
		t.Fatalf("no VPC-8 error at raw/vpc.yaml:8 spec.subnets.default.subnet: %+v", got.Errors)
	}
	var valid bytes.Buffer
	if err := WriteJSON(&valid, &ingestion.Plan{Errors: []ingestion.Issue{}, Warnings: []ingestion.Issue{}}, Options{}); err != nil || !strings.Contains(valid.String(), `"valid": true`) {
		t.Fatalf("%v %s", err, valid.String())
	}
}
