package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const goodVPC = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
      vlan: 1001
`

const badVPC = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-2
spec:
  subnets:
    default:
      subnet: 10.0.2.0/24
      vlan: twelve
`

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// fgdctl runs the command line in an empty environment.
func fgdctl(args ...string) (int, string, string) {
	return fgdctlEnv(noEnv, args...)
}

func fgdctlEnv(getenv func(string) string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, getenv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file below dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	file := filepath.Join(t.TempDir(), "f.yaml")
	write(t, file, goodVPC)
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"ingest without folder", []string{"ingest"}},
		{"ingest two folders", []string{"ingest", "a", "b"}},
		{"ingest missing folder", []string{"ingest", missing}},
		{"ingest a file", []string{"ingest", file}},
		{"ingest bad output", []string{"ingest", t.TempDir(), "-o", "xml"}},
		{"ingest bad flag", []string{"ingest", t.TempDir(), "--colour"}},
		{"validate nothing", []string{"validate"}},
		{"validate missing file", []string{"validate", missing}},
		{"init without folder", []string{"init"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := fgdctl(tc.args...)
			if code != exitUsage || stderr == "" {
				t.Fatalf("exit %d stderr %q, want 2 with a message", code, stderr)
			}
		})
	}
	if code, out, _ := fgdctl("help"); code != 0 || !strings.Contains(out, "ingest ") {
		t.Fatalf("help: %d %q", code, out)
	}
}

func TestInitIngestEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dc1")
	code, out, _ := fgdctl("init", dir)
	if code != 0 || !strings.Contains(out, ".hnp/manifest.yaml") {
		t.Fatalf("init: %d %s", code, out)
	}
	for _, p := range []string{"raw", "managed", "unmanaged", ".hnp/manifest.yaml", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("init did not create %s", p)
		}
	}
	manifest, _ := os.ReadFile(filepath.Join(dir, ".hnp/manifest.yaml"))
	if !strings.Contains(string(manifest), "fabric: dc1") || regexp.MustCompile(`\d{4}-\d\d-\d\d`).Match(manifest) {
		t.Fatalf("manifest:\n%s", manifest)
	}
	if code, out, _ := fgdctl("init", dir); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("second init: %d %s", code, out)
	}

	// Clean: exit 0, the raw file moves to managed/.
	write(t, filepath.Join(dir, "raw", "site", "vpcs.yaml"), goodVPC)
	code, out, stderr := fgdctl("ingest", dir)
	if code != 0 || !strings.Contains(out, "resources created    1") {
		t.Fatalf("clean ingest: %d\n%s\n%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "managed", "vpcs", "vpc-1.yaml")); err != nil {
		t.Fatal("managed file missing")
	}
	if _, err := os.Stat(filepath.Join(dir, "raw", "site")); !os.IsNotExist(err) {
		t.Fatal("the emptied raw/site folder is left behind")
	}

	// Dry run: nothing changes.
	write(t, filepath.Join(dir, "raw", "bad.yaml"), badVPC)
	write(t, filepath.Join(dir, "raw", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
	before := snapshot(t, dir)
	code, out, _ = fgdctl("ingest", "--dry-run", dir)
	if code != 1 || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run: %d %s", code, out)
	}
	if after := snapshot(t, dir); len(after) != len(before) {
		t.Fatal("dry run changed the folder")
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("dry run changed %s", k)
			}
		}
	}

	// Rejected: exit 1, the bad file stays byte for byte, errors on stderr.
	code, out, stderr = fgdctl("ingest", dir, "-o", "json")
	if code != 1 {
		t.Fatalf("ingest with a bad file: exit %d", code)
	}
	var rec struct {
		State  string         `json:"state"`
		Counts map[string]int `json:"counts"`
		Errors []struct {
			Code string `json:"code"`
			File string `json:"file"`
			Line int    `json:"line"`
			Path string `json:"path"`
		} `json:"errors"`
		Stages []struct {
			Name string `json:"name"`
		} `json:"stages"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out)
	}
	if rec.State != "partial" || rec.Counts["files_rejected"] != 1 || rec.Counts["files_unmanaged"] != 1 || len(rec.Errors) != 1 ||
		rec.Errors[0].Code != "FGD_1003" || rec.Errors[0].File != "raw/bad.yaml" || rec.Errors[0].Line != 9 || rec.Errors[0].Path != "spec.subnets.default.vlan" || len(rec.Stages) == 0 {
		t.Fatalf("record %+v", rec)
	}
	if !strings.Contains(stderr, "raw/bad.yaml:9: FGD_1003 spec.subnets.default.vlan:") {
		t.Fatalf("stderr %q", stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "raw", "bad.yaml")); string(got) != badVPC {
		t.Fatal("the rejected file changed")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "unmanaged", "cm.yaml")); !strings.Contains(string(got), "ConfigMap") {
		t.Fatal("the ConfigMap did not move to unmanaged/")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "sub", "bad.yaml")
	write(t, good, goodVPC)
	write(t, bad, badVPC)
	if code, _, stderr := fgdctl("validate", good); code != 0 || !strings.Contains(stderr, "1 files valid") {
		t.Fatalf("good: %d %s", code, stderr)
	}
	code, out, _ := fgdctl("validate", good, bad)
	if code != 1 || strings.TrimSpace(out) != bad+":9: FGD_1003 spec.subnets.default.vlan: got string, want integer" {
		t.Fatalf("bad: %d %q", code, out)
	}
	// Two files that define one resource differently conflict, by their names.
	other := filepath.Join(dir, "other.yaml")
	write(t, other, strings.Replace(goodVPC, "1001", "1002", 1))
	code, out, _ = fgdctl("validate", good, other)
	if code != 1 || !strings.Contains(out, good+":1: FGD_1005") || !strings.Contains(out, other) {
		t.Fatalf("conflict: %d %q", code, out)
	}
	// An oversized file is refused without reading it.
	if code, out, _ := fgdctl("validate", "--max-file-bytes", "10", good); code != 1 || !strings.Contains(out, "FGD_1006") {
		t.Fatalf("oversized: %d %q", code, out)
	}
}

// TestIngestNeverFollowsSymlinks plants real symlinks out of the folder where
// ingest writes: the outside stays byte for byte.
func TestIngestNeverFollowsSymlinks(t *testing.T) {
	tests := []struct {
		name     string
		plant    func(t *testing.T, dir, outside string)
		wantCode int
		wantErr  string // on stderr
		wantVPC  bool   // managed/vpcs/vpc-1.yaml is the regular file
	}{
		{
			name: "managed is a symlink to a folder outside",
			plant: func(t *testing.T, dir, outside string) {
				if err := os.RemoveAll(filepath.Join(dir, "managed")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("../outside", filepath.Join(dir, "managed")); err != nil {
					t.Fatal(err)
				}
			},
			wantCode: exitRejected, wantErr: "fgdctl: apply: FGD_2003 write managed/vpcs/vpc-1.yaml",
		},
		{
			name: "the managed file is a symlink to a file outside",
			plant: func(t *testing.T, dir, outside string) {
				if err := os.MkdirAll(filepath.Join(dir, "managed", "vpcs"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("../../../outside/vpcs/vpc-1.yaml", filepath.Join(dir, "managed", "vpcs", "vpc-1.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			wantCode: exitRejected, wantErr: "FGD_2003", wantVPC: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			dir, outside := filepath.Join(top, "dc1"), filepath.Join(top, "outside")
			write(t, filepath.Join(outside, "vpcs", "vpc-1.yaml"), "outside: keep\n")
			if code, _, stderr := fgdctl("init", dir); code != 0 {
				t.Fatalf("init: %s", stderr)
			}
			write(t, filepath.Join(dir, "raw", "vpcs.yaml"), goodVPC)
			tc.plant(t, dir, outside)
			before := snapshot(t, outside)
			code, _, stderr := fgdctl("ingest", dir)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d with %q", code, stderr, tc.wantCode, tc.wantErr)
			}
			after := snapshot(t, outside)
			if len(after) != len(before) || after["vpcs/vpc-1.yaml"] != before["vpcs/vpc-1.yaml"] {
				t.Fatalf("outside changed: %v -> %v", before, after)
			}
			info, err := os.Lstat(filepath.Join(dir, "managed", "vpcs", "vpc-1.yaml"))
			if tc.wantVPC {
				got, _ := os.ReadFile(filepath.Join(dir, "managed", "vpcs", "vpc-1.yaml"))
				if err != nil || !info.Mode().IsRegular() || !strings.Contains(string(got), "vpc-1") {
					t.Fatalf("managed file: %v %v %q", info, err, got)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "raw", "vpcs.yaml")); tc.wantVPC == (err == nil) {
				t.Fatalf("raw file present=%v, want %v", err == nil, !tc.wantVPC)
			}
		})
	}
}
