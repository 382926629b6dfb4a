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

func TestRealCorpusTogether(t *testing.T) {
	in := corpusFiles(t, func(string) bool { return true })
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	writes := writesOf(p)

	// Every Hedgehog document of the nvidia-air-demo files lands at
	// managed/<plural>/<name>.yaml, equal to the input after normalization.
	b := testBundle(t)
	landed := 0
	for _, name := range []string{"nvidia-air-demo__include.yaml", "nvidia-air-demo__new_attachments.yaml", "nvidia-air-demo__old_attachments.yaml"} {
		for _, d := range sampleDocs(t, name, in["raw/"+name].Data) {
			kind, _, n := identityOf(d.obj)
			group := strings.Split(d.obj["apiVersion"].(string), "/")[0]
			crd, ok := b.Lookup(group, kind)
			if !ok {
				t.Fatalf("%s: %s is not in the bundle", name, kind)
			}
			path := "managed/" + crd.Plural + "/" + n + ".yaml"
			got, ok := writes[path]
			if !ok {
				t.Fatalf("%s: %s %s did not land at %s", name, kind, n, path)
			}
			if want := normalizedCopy(d.obj); !reflect.DeepEqual(asJSONValue(t, got), want) {
				t.Fatalf("%s differs from its input after normalization:\n%s", path, got)
			}
			landed++
		}
	}
	if landed != 166+8+8 {
		t.Fatalf("%d nvidia-air-demo documents checked, want 182", landed)
	}
	if c := len(sampleDocs(t, "include", in["raw/nvidia-air-demo__include.yaml"].Data)); c != 166 {
		t.Fatalf("include.yaml holds %d documents, testdata/hedgehog/PROVENANCE.md says 166", c)
	}

	// The 8 repeated VPCAttachments are identical, so no conflict there.
	for _, f := range []string{"raw/nvidia-air-demo__include.yaml", "raw/nvidia-air-demo__old_attachments.yaml", "raw/nvidia-air-demo__new_attachments.yaml"} {
		if errs := errorsOf(p, f); len(errs) > 0 || !contains(p.Removes, f) {
			t.Fatalf("%s: errors %+v, removed %v", f, errs, contains(p.Removes, f))
		}
	}

	// env-1 and env-3 define some resources differently: every file holding
	// one stays byte for byte, with FGD_1005 naming both files.
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

func TestRealCorpusWithoutEnv3(t *testing.T) {
	in := corpusFiles(t, func(name string) bool { return !strings.Contains(name, "env-3") })
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if len(p.Errors) != 0 || len(p.Rejected) != 0 {
		t.Fatalf("errors %+v", p.Errors)
	}
	b := testBundle(t)
	writes := writesOf(p)
	for path, f := range in {
		for _, d := range sampleDocs(t, path, f.Data) {
			kind, _, n := identityOf(d.obj)
			crd, ok := b.Lookup(strings.Split(d.obj["apiVersion"].(string), "/")[0], kind)
			if !ok {
				t.Fatalf("%s: unknown kind %s", path, kind)
			}
			if _, ok := writes["managed/"+crd.Plural+"/"+n+".yaml"]; !ok {
				t.Fatalf("%s: %s %s did not land", path, kind, n)
			}
		}
		if !contains(p.Removes, path) {
			t.Fatalf("%s not removed", path)
		}
	}
	// And the result is a fixed point.
	if again := mustIngest(t, applied(t, in, p), Options{}); !again.Empty() {
		t.Fatalf("second run: writes %v removes %v", sortedPaths(writesOf(again)), again.Removes)
	}
}
