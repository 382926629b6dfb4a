package ingestion

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// corpusDir holds the real Hedgehog samples, copied into the repository with
// their license and provenance so that these tests run in a fresh clone.
const corpusDir = "../testdata/hedgehog"

func corpusFiles(t *testing.T, match func(name string) bool) fstest.MapFS {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	in := fstest.MapFS{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || !match(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		in["raw/"+e.Name()] = &fstest.MapFile{Data: data}
	}
	if len(in) == 0 {
		t.Fatalf("no samples in %s", corpusDir)
	}
	return in
}

// sampleDoc is one document of a sample file, read independently of the
// code under test: yaml.v3's own document stream, then kubectl's YAML→JSON.
type sampleDoc struct {
	file string
	obj  map[string]any
}

func sampleDocs(t *testing.T, name string, data []byte) []sampleDoc {
	t.Helper()
	var out []sampleDoc
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text, err := yamlv3.Marshal(&n)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(text)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(js, &obj); err != nil || obj == nil {
			continue // an empty document
		}
		out = append(out, sampleDoc{file: name, obj: obj})
	}
}

func identityOf(obj map[string]any) (kind, ns, name string) {
	meta := obj["metadata"].(map[string]any)
	ns, _ = meta["namespace"].(string)
	if ns == "" {
		ns = "default"
	}
	return obj["kind"].(string), ns, meta["name"].(string)
}

// normalizedCopy is the expected content of a managed file, per the
// normalization rule of docs/contract.md.
func normalizedCopy(obj map[string]any) map[string]any {
	b, _ := json.Marshal(obj)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	delete(c, "status")
	meta := c["metadata"].(map[string]any)
	for _, f := range serverFields {
		delete(meta, f)
	}
	if meta["namespace"] == nil {
		meta["namespace"] = "default"
	}
	return c
}

func asJSONValue(t *testing.T, yamlText []byte) map[string]any {
	t.Helper()
	js, err := yaml.YAMLToJSON(yamlText)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// corpusSources are the real samples by origin: each comes from its own
// fabric, so each must ingest on its own with no error.
var corpusSources = []struct {
	name  string
	match func(string) bool
	docs  int // Hedgehog documents, from testdata/hedgehog/PROVENANCE.md and the files
	// breaks lists the files that really break a Hedgehog rule, with the
	// reason; none does today.
	breaks map[string]string
}{
	{name: "env-1", match: func(n string) bool { return strings.Contains(n, "demo-gitops__env-1__") }, docs: 9},
	{name: "env-3", match: func(n string) bool { return strings.Contains(n, "demo-gitops__env-3__") }, docs: 8},
	{name: "nvidia-air-demo", match: func(n string) bool { return strings.HasPrefix(n, "nvidia-air-demo__") }, docs: 166 + 8 + 8},
}

// TestRealCorpusEachSource: every source alone ingests with no error under
// every rule; each Hedgehog document lands at managed/<plural>/<name>.yaml,
// equal to the input after normalization (not defaulted); the result is a
// fixed point.
func TestRealCorpusEachSource(t *testing.T) {
	b := testBundle(t)
	for _, src := range corpusSources {
		t.Run(src.name, func(t *testing.T) {
			in := corpusFiles(t, src.match)
			p := mustIngest(t, in, Options{})
			checkAccounting(t, in, p)
			for _, e := range p.Errors {
				if _, known := src.breaks[e.File]; !known {
					t.Errorf("unexpected error: %s", e)
				}
			}
			for f, why := range src.breaks {
				if !contains(p.Rejected, f) {
					t.Errorf("%s is listed as breaking a rule (%s) but was not rejected", f, why)
				}
			}
			for _, w := range p.Warnings {
				// Only references to objects the sample does not hold: the
				// installer's namespaces and profiles, Connections, Externals.
				if w.Code != fgderr.Integrity || !strings.Contains(w.Message, "is not in this FGD") || w.Rule == "" {
					t.Errorf("unexpected warning: %s", w)
				}
			}
			writes := writesOf(p)
			landed := 0
			for path, f := range in {
				if _, broken := src.breaks[path]; broken {
					continue
				}
				for _, d := range sampleDocs(t, path, f.Data) {
					kind, _, n := identityOf(d.obj)
					crd, ok := b.Lookup(strings.Split(d.obj["apiVersion"].(string), "/")[0], kind)
					if !ok {
						t.Fatalf("%s: unknown kind %s", path, kind)
					}
					target := "managed/" + crd.Plural + "/" + n + ".yaml"
					got, ok := writes[target]
					if !ok {
						t.Fatalf("%s: %s %s did not land at %s", path, kind, n, target)
					}
					if want := normalizedCopy(d.obj); !reflect.DeepEqual(asJSONValue(t, got), want) {
						t.Fatalf("%s differs from its input after normalization:\n%s", target, got)
					}
					landed++
				}
				if !contains(p.Removes, path) {
					t.Fatalf("%s not removed", path)
				}
			}
			if landed != src.docs {
				t.Fatalf("%d documents landed, want %d", landed, src.docs)
			}
			if again := mustIngest(t, applied(t, in, p), Options{}); !again.Empty() || len(again.Errors) != 0 {
				t.Fatalf("second run: writes %v removes %v errors %v", sortedPaths(writesOf(again)), again.Removes, again.Errors)
			}
		})
	}
}

// TestRealCorpusMixedCollides: env-1 and nvidia-air-demo come from
// different fabrics. Put into one FGD, env-1's VPCs overlap nvidia's vpc-1
// (10.8.0.0/13) in the IPv4Namespace they share, default: VPC-29 rejects
// every file holding one of them, with FGD_1007 at the subnet's line.
func TestRealCorpusMixedCollides(t *testing.T) {
	in := corpusFiles(t, func(n string) bool { return !strings.Contains(n, "env-3") })
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	collisions := map[string]int{}
	for _, e := range p.Errors {
		if e.Code == fgderr.Integrity && e.Rule == "VPC-29" && strings.HasSuffix(e.Message, "[VPC-29]") &&
			strings.HasPrefix(e.Path, "spec.subnets.") && strings.HasSuffix(e.Path, ".subnet") && e.Line > 0 {
			collisions[e.File]++
		}
	}
	for _, f := range []string{"raw/demo-gitops__env-1__demo.yaml", "raw/demo-gitops__env-1__pre-demo.yaml", "raw/demo-gitops__env-1__vpc-test.yaml"} {
		if collisions[f] == 0 {
			t.Errorf("%s: no VPC-29 collision with nvidia's vpc-1: %+v", f, errorsOf(p, f))
		}
		for _, e := range errorsOf(p, f) {
			if e.Rule == "VPC-29" && !strings.Contains(e.Message, `VPC "vpc-1"`) {
				t.Errorf("%s: the collision must name vpc-1: %s", f, e)
			}
		}
	}
	nv := "raw/nvidia-air-demo__include.yaml"
	if errs := errorsOf(p, nv); collisions[nv] != 1 || errs[0].Line != 1680 || !strings.Contains(errs[0].Message, `"demo-vpc-1"`) {
		t.Errorf("%s: want one VPC-29 error at vpc-1's subnet (line 1680) naming env-1's VPCs: %+v", nv, errs)
	}
	for f := range collisions {
		if !contains(p.Rejected, f) || contains(p.Removes, f) {
			t.Errorf("%s breaks VPC-29 but is not kept whole in raw/", f)
		}
		if _, written := writesOf(p)[f]; written {
			t.Errorf("%s was rewritten", f)
		}
	}
	for _, w := range writesOf(p) {
		if strings.Contains(string(w), "subnet: 10.8.0.0/13") {
			t.Error("nvidia's vpc-1 landed beside the VPCs it overlaps")
		}
	}
}

// TestRealCorpusAllTogether: env-1 and env-3 also define some resources
// differently; every file holding one stays byte for byte, with FGD_1005
// naming the other file.
func TestRealCorpusAllTogether(t *testing.T) {
	in := corpusFiles(t, func(string) bool { return true })
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	writes := writesOf(p)
	if c := len(sampleDocs(t, "include", in["raw/nvidia-air-demo__include.yaml"].Data)); c != 166 {
		t.Fatalf("include.yaml holds %d documents, testdata/hedgehog/PROVENANCE.md says 166", c)
	}
	envDocs := map[string][]sampleDoc{}
	for path, f := range in {
		if strings.Contains(path, "demo-gitops__env-") {
			for _, d := range sampleDocs(t, path, f.Data) {
				k, ns, n := identityOf(d.obj)
				id := k + "/" + ns + "/" + n
				envDocs[id] = append(envDocs[id], d)
			}
		}
	}
	conflicting := map[string]bool{}
	for id, docs := range envDocs {
		for _, d := range docs[1:] {
			if !reflect.DeepEqual(normalizedCopy(d.obj), normalizedCopy(docs[0].obj)) {
				for _, x := range docs {
					conflicting[x.file] = true
				}
				if !strings.Contains(id, "demo-vpc-") {
					t.Logf("conflict also on %s", id)
				}
			}
		}
	}
	if len(conflicting) == 0 {
		t.Fatal("the samples should conflict")
	}
	for file := range conflicting {
		other := strings.Replace(file, "env-1", "env-3", 1)
		if other == file {
			other = strings.Replace(file, "env-3", "env-1", 1)
		}
		if contains(p.Removes, file) || !contains(p.Rejected, file) {
			t.Fatalf("%s holds a conflicting resource but was not kept", file)
		}
		if _, written := writes[file]; written {
			t.Fatalf("%s was rewritten", file)
		}
		found := false
		for _, e := range errorsOf(p, file) {
			found = found || (e.Code == fgderr.DuplicateResource && strings.Contains(e.Message, other))
		}
		if !found {
			t.Fatalf("%s: no FGD_1005 naming %s: %+v", file, other, errorsOf(p, file))
		}
	}
	for _, id := range []string{"VPC/default/demo-vpc-1", "VPC/default/demo-vpc-2", "VPC/default/demo-vpc-3"} {
		if len(envDocs[id]) < 2 {
			t.Fatalf("%s is not defined by both environments", id)
		}
	}
	// Every rejected file says why.
	for _, f := range p.Rejected {
		if len(errorsOf(p, f)) == 0 {
			t.Errorf("%s rejected without an error", f)
		}
	}

	// The comment-only reset files hold no document: verbatim to unmanaged/.
	for _, env := range []string{"env-1", "env-3"} {
		name := "demo-gitops__" + env + "__demo.reset.yaml"
		if !bytes.Equal(writes["unmanaged/"+name], in["raw/"+name].Data) || len(errorsOf(p, "raw/"+name)) != 0 || !contains(p.Removes, "raw/"+name) {
			t.Fatalf("%s must move verbatim to unmanaged/ without error", name)
		}
	}
	for _, s := range p.Sources {
		if strings.HasSuffix(s.Path, "demo.reset.yaml") && s.Documents != 0 {
			t.Fatalf("%s counted %d documents, want 0", s.Path, s.Documents)
		}
	}
}
