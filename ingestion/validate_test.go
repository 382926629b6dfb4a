package ingestion

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

// TestValidateFilesLeanAsFull: ValidateFiles, which drops each document
// once checked and keeps only what the checks across documents need, gives
// the same errors, warnings, counts, sources and rejected files as the
// whole plan of the same files, on every corpus the tests hold: the
// fixtures, the Hedgehog samples, and the benchmark corpus, valid and
// broken across resources.
func TestValidateFilesLeanAsFull(t *testing.T) {
	bundle := testBundle(t)
	cfg, issue := ParseFabricConfig(benchcorpus.FabricConfigYAML(2))
	if issue != nil {
		t.Fatalf("fabric config: %+v", issue)
	}
	bench := benchcorpus.Files(2)
	copy0, copy1 := string(bench["raw/copy-00.yaml"]), string(bench["raw/copy-01.yaml"])
	// The broken variants: each breaks a rule across resources, or defines
	// a resource twice, in a corpus the rules otherwise pass.
	replaceOnce := func(s, old, new string) string {
		t.Helper()
		if !strings.Contains(s, old) {
			t.Fatalf("the benchmark corpus has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	// A VPC as the second item of a List, and as a document of its own
	// with the same content written otherwise (keys in another order,
	// quoted, a comment, a server field that normalization drops).
	listed := func(subnet string) string {
		return `apiVersion: v1
kind: List
items:
- apiVersion: vpc.githedgehog.com/v1beta1
  kind: VPC
  metadata: {name: other}
  spec: {subnets: {default: {subnet: 10.0.60.0/24, vlan: 1060}}}
- apiVersion: vpc.githedgehog.com/v1beta1
  kind: VPC
  metadata:
    name: twice
  spec:
    subnets:
      default:
        subnet: ` + subnet + `
        vlan: 1070
`
	}
	const vpcDoc = `# the same VPC
kind: VPC
apiVersion: "vpc.githedgehog.com/v1beta1"
metadata: {name: twice, namespace: default, resourceVersion: "7"}
spec:
  subnets: {default: {vlan: 1070, subnet: "10.0.70.0/24"}}
`
	tests := []struct {
		name  string
		files map[string][]byte
		cfg   bool // with the benchmark's fabric config
	}{
		{name: "benchmark corpus", files: bench, cfg: true},
		{name: "benchmark corpus without a fabric config", files: bench},
		{name: "benchmark corpus as one file", files: map[string][]byte{"all.yaml": []byte(copy0 + "---\n" + copy1)}, cfg: true},
		{name: "a reference to a missing connection", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(replaceOnce(copy0, "  connection: server-su00-n00-r0-leaf-su00-r0-c00", "  connection: nowhere")), "b.yaml": []byte(copy1)}},
		{name: "a reference to a missing VPC", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(replaceOnce(copy0, "  subnet: vpc-0-c00/default", "  subnet: vpc-9/default")), "b.yaml": []byte(copy1)}},
		{name: "one resource defined differently twice", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(copy0), "b.yaml": []byte(replaceOnce(copy0, "  asn: 65101", "  asn: 65199"))}},
		{name: "one resource defined identically twice", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(copy0), "b.yaml": []byte(copy0)}},
		{name: "switch IPs used twice", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(copy0), "b.yaml": []byte(strings.ReplaceAll(copy0, "-c00", "-c99"))}},
		{name: "one resource as a List item and as a document, identical but written otherwise", files: map[string][]byte{
			"list.yaml": []byte(listed("10.0.70.0/24")), "doc.yaml": []byte(vpcDoc)}},
		{name: "one resource as a List item and as a document, different", files: map[string][]byte{
			"list.yaml": []byte(listed("10.0.80.0/24")), "doc.yaml": []byte(vpcDoc)}},
		{name: "one List item defined twice, differently", files: map[string][]byte{
			"a.yaml": []byte(listed("10.0.70.0/24")), "b.yaml": []byte(listed("10.0.80.0/24"))}},
		{name: "a broken document besides the rest", cfg: true, files: map[string][]byte{
			"a.yaml": []byte(replaceOnce(copy0, "  connection: ", "  connection: [")), "b.yaml": []byte(copy1)}},
	}
	for _, dir := range []string{filepath.Join("testdata", "cases"), filepath.Join("testdata")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() || e.Name() == "cases" {
				continue
			}
			files := map[string][]byte{}
			for name, f := range loadDir(t, filepath.Join(dir, e.Name())) {
				files[name] = f.Data
			}
			tests = append(tests, struct {
				name  string
				files map[string][]byte
				cfg   bool
			}{name: filepath.ToSlash(filepath.Join(dir, e.Name())), files: files})
		}
	}
	samples := map[string][]byte{}
	matches, err := filepath.Glob(filepath.Join("..", "testdata", "hedgehog", "*.yaml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no Hedgehog samples: %v", err)
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		samples[filepath.Base(m)] = data
		tests = append(tests, struct {
			name  string
			files map[string][]byte
			cfg   bool
		}{name: "sample " + filepath.Base(m), files: map[string][]byte{filepath.Base(m): data}})
	}
	tests = append(tests, struct {
		name  string
		files map[string][]byte
		cfg   bool
	}{name: "every sample together", files: samples})

	sawError, sawIntegrity, sawConflict := false, false, false
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Bundle: bundle}
			if tc.cfg {
				opts.FabricConfig = cfg
			}
			full, err := validateFiles(tc.files, opts)
			if err != nil {
				t.Fatal(err)
			}
			lean, err := ValidateFiles(tc.files, opts)
			if err != nil {
				t.Fatal(err)
			}
			type findings struct {
				Errors, Warnings []Issue
				Counts           Counts
				Sources          []SourceFile
				Rejected         []string
			}
			want := findings{full.Errors, full.Warnings, full.Counts, full.Sources, full.Rejected}
			got := findings{lean.Errors, lean.Warnings, lean.Counts, lean.Sources, lean.Rejected}
			if !reflect.DeepEqual(got, want) {
				w, _ := json.MarshalIndent(want, "", " ")
				g, _ := json.MarshalIndent(got, "", " ")
				t.Fatalf("lean plan differs from the full one:\nfull %s\nlean %s", w, g)
			}
			if len(lean.Writes) != 0 || len(lean.Resources) != 0 {
				t.Fatalf("lean plan has %d writes and %d resources", len(lean.Writes), len(lean.Resources))
			}
			for _, e := range full.Errors {
				sawError = true
				sawIntegrity = sawIntegrity || e.Code == "FGD_1007"
				sawConflict = sawConflict || strings.Contains(e.Message, "is also defined, differently")
			}
		})
	}
	// The corpora must exercise what the lean plan keeps for.
	if !sawError || !sawIntegrity || !sawConflict {
		t.Fatalf("the corpora gave errors %v, cross-resource errors %v, conflicts %v; want all", sawError, sawIntegrity, sawConflict)
	}
}

// TestValueEncoding: appendValue and decodeValue give back every type a
// decoded or defaulted document holds, and equal encodings mean equal
// values.
func TestValueEncoding(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"bools", []any{true, false}},
		{"string", "vpc-1/default"},
		{"number", json.Number("65101")},
		{"int", 3},
		{"int64", int64(-300)},
		{"float64", 1.5},
		{"nested", map[string]any{"spec": map[string]any{"subnets": map[string]any{"a": map[string]any{"vlan": json.Number("1001"), "dhcp": map[string]any{}}}, "list": []any{"x", json.Number("1"), nil}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, ok := appendValue(nil, tc.v)
			if !ok {
				t.Fatal("not encoded")
			}
			got, rest, err := decodeValue(enc)
			if err != nil || len(rest) != 0 || !reflect.DeepEqual(got, tc.v) {
				t.Fatalf("decoded %#v, rest %d, %v; want %#v", got, len(rest), err, tc.v)
			}
		})
	}
	// Values that differ only in type or in where a string ends encode apart.
	apart := [][2]any{
		{"1", json.Number("1")},
		{json.Number("1"), int64(1)},
		{int(1), int64(1)},
		{[]any{"ab", "c"}, []any{"a", "bc"}},
		{map[string]any{"a": "b"}, map[string]any{"ab": ""}},
		{nil, false},
	}
	for _, p := range apart {
		a, _ := appendValue(nil, p[0])
		b, _ := appendValue(nil, p[1])
		if bytes.Equal(a, b) {
			t.Errorf("%#v and %#v encode alike", p[0], p[1])
		}
	}
	if _, ok := appendValue(nil, map[string]any{"a": struct{}{}}); ok {
		t.Error("a type documents never hold was encoded")
	}
	for _, bad := range []string{"", "m\x05", "s\x09ab", "q", "l\x02t"} {
		if _, _, err := decodeValue([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}
