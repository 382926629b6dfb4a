package ingestion

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// companion files that every fuzz input is ingested beside, so that the
// fuzzer also explores conflicts and updates against them.
var fuzzCompanions = fstest.MapFS{
	"raw/companion.yaml":      {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets:\n    default:\n      subnet: 10.0.1.0/24\n      vlan: 1001\n")},
	"managed/vpcs/vpc-2.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.0.2.0/24\n      vlan: 1002\n")},
}

// FuzzIngest checks the parse and plan step on arbitrary raw files: no
// panic, every document accounted for exactly once, and the result a fixed
// point of ingestion.
func FuzzIngest(f *testing.F) {
	_ = filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: []\n"))
	bundle := testBundle(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fstest.MapFS{"raw/fuzz.yaml": {Data: data}}
		for k, v := range fuzzCompanions {
			in[k] = v
		}
		p, err := Ingest(in, Options{Bundle: bundle, MaxFileBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		checkAccounting(t, in, p)
		out := applied(t, in, p)
		again, err := Ingest(out, Options{Bundle: bundle, MaxFileBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Empty() {
			t.Fatalf("not a fixed point: writes %v removes %v\ninput %q", sortedPaths(writesOf(again)), again.Removes, data)
		}
	})
}
