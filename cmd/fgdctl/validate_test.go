package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	vpc1Doc   = goodVPC
	vpc2Doc   = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\nspec:\n  subnets:\n    default:\n      subnet: 10.0.2.0/24\n      vlan: 1002\n"
	attachDoc = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: server-1--leaf-1\n  subnet: %s/default\n"
	// reservedVPC is valid unless the fabric config reserves 172.28.0.0/16 (VPC-9).
	reservedVPC = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-r\nspec:\n  subnets:\n    default:\n      subnet: 172.28.1.0/24\n      vlan: 1005\n"
)

func attachTo(vpc string) string { return strings.Replace(attachDoc, "%s", vpc, 1) }

// TestValidateSet: the files given are one set for references; --dir adds
// managed/ and .hnp/fabric.yaml; --fabric-config feeds the [cfg] rules.
func TestValidateSet(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string // relative to a fresh folder, the current one
		args     []string
		wantCode int
		wantOut  []string // lines expected on stdout, in this order
		wantErr  string   // in stderr
	}{
		{name: "an attachment names a VPC in another file",
			files: map[string]string{"vpc.yaml": vpc1Doc, "attach.yaml": attachTo("vpc-1")},
			args:  []string{"validate", "vpc.yaml", "attach.yaml"}, wantErr: "2 files valid"},
		{name: "an attachment names a missing VPC while VPCs exist",
			files:    map[string]string{"vpc.yaml": vpc1Doc, "attach.yaml": attachTo("vpc-9")},
			args:     []string{"validate", "vpc.yaml", "attach.yaml"},
			wantCode: exitRejected, wantOut: []string{"attach.yaml:7: FGD_1007 spec.subnet: "}},
		{name: "an attachment alone: the FGD holds no VPC, a warning",
			files: map[string]string{"attach.yaml": attachTo("vpc-9")},
			args:  []string{"validate", "attach.yaml"}, wantErr: "warning: attach.yaml:"},
		{name: "--dir: raw/ resolves against managed/",
			files: map[string]string{"fgd/raw/attach.yaml": attachTo("vpc-2"), "fgd/managed/vpcs/vpc-2.yaml": vpc2Doc},
			args:  []string{"validate", "--dir", "fgd"}, wantErr: "1 files valid"},
		{name: "--dir: a VPC missing from managed/",
			files:    map[string]string{"fgd/raw/attach.yaml": attachTo("vpc-9"), "fgd/managed/vpcs/vpc-2.yaml": vpc2Doc},
			args:     []string{"validate", "--dir", "fgd"},
			wantCode: exitRejected, wantOut: []string{"raw/attach.yaml:7: FGD_1007 spec.subnet: "}},
		{name: "--dir reads .hnp/fabric.yaml",
			files:    map[string]string{"fgd/raw/vpc.yaml": reservedVPC, "fgd/.hnp/fabric.yaml": "reservedSubnets: [172.28.0.0/16]\n"},
			args:     []string{"validate", "--dir", "fgd"},
			wantCode: exitRejected, wantOut: []string{"raw/vpc.yaml:8: FGD_1003 spec.subnets.default.subnet: "}},
		{name: "--fabric-config feeds the [cfg] rules",
			files:    map[string]string{"vpc.yaml": reservedVPC, "cfg.yaml": "reservedSubnets: [172.28.0.0/16]\n"},
			args:     []string{"validate", "--fabric-config", "cfg.yaml", "vpc.yaml"},
			wantCode: exitRejected, wantOut: []string{"vpc.yaml:8: FGD_1003 spec.subnets.default.subnet: "}},
		{name: "--fabric-config wins over the folder's",
			files: map[string]string{"fgd/raw/vpc.yaml": reservedVPC, "fgd/.hnp/fabric.yaml": "reservedSubnets: [172.28.0.0/16]\n", "cfg.yaml": "reservedSubnets: [192.168.0.0/16]\n"},
			args:  []string{"validate", "--dir", "fgd", "--fabric-config", "cfg.yaml"}, wantErr: "1 files valid"},
		{name: "a broken --fabric-config is named by its file",
			files:    map[string]string{"vpc.yaml": reservedVPC, "cfg.yaml": "fabricMode: spine-leaf\nreservedSubnet: [172.28.0.0/16]\n"},
			args:     []string{"validate", "--fabric-config", "cfg.yaml", "vpc.yaml"},
			wantCode: exitRejected, wantOut: []string{"cfg.yaml:2: FGD_1003 unknown key \"reservedSubnet\""}},
		{name: "files and --dir together", files: map[string]string{"vpc.yaml": vpc1Doc},
			args: []string{"validate", "--dir", ".", "vpc.yaml"}, wantCode: exitUsage, wantErr: "not both"},
		{name: "a missing --fabric-config", files: map[string]string{"vpc.yaml": vpc1Doc},
			args: []string{"validate", "--fabric-config", "nope.yaml", "vpc.yaml"}, wantCode: exitUsage, wantErr: "nope.yaml"},
		{name: "an unknown output format", files: map[string]string{"vpc.yaml": vpc1Doc},
			args: []string{"validate", "-o", "yaml", "vpc.yaml"}, wantCode: exitUsage, wantErr: "text, json or sarif"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, filepath.Join(dir, name), content)
			}
			t.Chdir(dir)
			code, out, errOut := fgdctl(tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.wantCode, out, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(tc.wantOut) == 0 && out != "" || len(tc.wantOut) > 0 && len(lines) != len(tc.wantOut) {
				t.Fatalf("stdout %q, want lines starting with %q", out, tc.wantOut)
			}
			for i, want := range tc.wantOut {
				if !strings.HasPrefix(lines[i], want) {
					t.Fatalf("stdout line %d %q, want it to start with %q", i+1, lines[i], want)
				}
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("stderr %q, want %q in it", errOut, tc.wantErr)
			}
		})
	}
}

// TestValidateReports: -o json and -o sarif print one report on stdout;
// SARIF locations are relative to the current folder.
func TestValidateReports(t *testing.T) {
	type sarifLog struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
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
	files := map[string]string{
		"fabrics/dc1/raw/attach.yaml":         attachTo("vpc-9"),
		"fabrics/dc1/managed/vpcs/vpc-2.yaml": vpc2Doc,
		"vpc.yaml":                            vpc1Doc,
		"attach.yaml":                         attachTo("vpc-9"),
	}
	tests := []struct {
		name     string
		args     []string
		wantURI  string
		wantRule string
		wantLine int
	}{
		{name: "files", args: []string{"vpc.yaml", "attach.yaml"}, wantURI: "attach.yaml", wantRule: "VA-5", wantLine: 7},
		{name: "--dir", args: []string{"--dir", "fabrics/dc1"}, wantURI: "fabrics/dc1/raw/attach.yaml", wantRule: "VA-5", wantLine: 7},
		{name: "--dir with a trailing slash", args: []string{"--dir", "./fabrics/dc1/"}, wantURI: "fabrics/dc1/raw/attach.yaml", wantRule: "VA-5", wantLine: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range files {
				write(t, filepath.Join(dir, name), content)
			}
			t.Chdir(dir)

			code, out, errOut := fgdctl(append([]string{"validate", "-o", "sarif"}, tc.args...)...)
			if code != exitRejected {
				t.Fatalf("sarif: exit %d, stderr %s", code, errOut)
			}
			var log sarifLog
			if err := json.Unmarshal([]byte(out), &log); err != nil {
				t.Fatalf("sarif is not JSON: %v\n%s", err, out)
			}
			if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "fgd-sync" {
				t.Fatalf("sarif shape: %s", out)
			}
			// One error; the warnings (namespaces not in the FGD) are results too.
			var errs []int
			for i, r := range log.Runs[0].Results {
				if r.Level == "error" {
					errs = append(errs, i)
				} else if r.Level != "warning" {
					t.Fatalf("sarif level %q", r.Level)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("sarif errors: %+v", log.Runs[0].Results)
			}
			res := log.Runs[0].Results[errs[0]]
			if res.RuleID != tc.wantRule || len(res.Locations) != 1 {
				t.Fatalf("sarif result: %+v", res)
			}
			loc := res.Locations[0].PhysicalLocation
			if loc.ArtifactLocation.URI != tc.wantURI || loc.Region.StartLine != tc.wantLine {
				t.Fatalf("sarif location %+v, want %s:%d", loc, tc.wantURI, tc.wantLine)
			}
			var ruleListed bool
			for _, r := range log.Runs[0].Tool.Driver.Rules {
				ruleListed = ruleListed || r.ID == tc.wantRule
			}
			if !ruleListed {
				t.Fatalf("sarif rules %+v lack %s", log.Runs[0].Tool.Driver.Rules, tc.wantRule)
			}

			code, out, errOut = fgdctl(append([]string{"validate", "-o", "json"}, tc.args...)...)
			if code != exitRejected {
				t.Fatalf("json: exit %d, stderr %s", code, errOut)
			}
			var res2 struct {
				Valid  bool `json:"valid"`
				Errors []struct {
					Code string `json:"code"`
					File string `json:"file"`
					Line int    `json:"line"`
					Rule string `json:"rule"`
				} `json:"errors"`
			}
			if err := json.Unmarshal([]byte(out), &res2); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			if res2.Valid || len(res2.Errors) != 1 || res2.Errors[0].Code != "FGD_1007" || res2.Errors[0].Rule != tc.wantRule ||
				res2.Errors[0].File != tc.wantURI || res2.Errors[0].Line != tc.wantLine {
				t.Fatalf("json: %s", out)
			}
		})
	}
}

// TestValidateRefusedFiles: a symlink and an oversized file are refused
// unread, under their names, in every format.
func TestValidateRefusedFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vpc.yaml"), vpc1Doc)
	if err := os.Symlink("vpc.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		name string
		args []string
		want string // on stdout
	}{
		{"symlink, text", []string{"validate", "vpc.yaml", "link.yaml"}, "link.yaml: FGD_2003 is a symlink"},
		{"oversized, text", []string{"validate", "--max-file-bytes", "10", "vpc.yaml"}, "vpc.yaml: FGD_1006 the file is"},
		{"symlink, json", []string{"validate", "-o", "json", "link.yaml"}, `"code": "FGD_2003"`},
		{"oversized, sarif", []string{"validate", "-o", "sarif", "--max-file-bytes", "10", "vpc.yaml"}, `"ruleId": "FGD_1006"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := fgdctl(tc.args...)
			if code != exitRejected || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, tc.want)
			}
		})
	}
}
