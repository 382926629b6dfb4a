package ingestion

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// kubectlDecode is the path decodeYAML replaces: sigs.k8s.io/yaml's
// YAMLToJSONStrict, then encoding/json with UseNumber.
func kubectlDecode(data []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	err = dec.Decode(&v)
	return v, err
}

// TestDecodeYAMLLikeKubectl: decodeYAML gives what kubectl's path gives, on
// every document of the test data and on the YAML corners that differ
// between YAML 1.1 and JSON.
func TestDecodeYAMLLikeKubectl(t *testing.T) {
	docs := [][]byte{
		[]byte("a: on\nb: 'no'\nc: 0x1F\nd: 0o17\ne: 017\nf: 1_000\ng: 1e3\nh: .5\ni: -.inf\nj: ~\nk: 2001-12-14\nl: !!binary aGVsbG8=\n"),
		[]byte("1: int key\n2.5: float key\ntrue: bool key\nnested: [{x: 1.0}, [2, 3.25e-7], null]\n"),
		[]byte("big: 18446744073709551615\nneg: -9223372036854775808\nhuge: 1e400\nf: 123456789.123456789\n"),
		[]byte("dup: 1\ndup: 2\n"),
		[]byte("k: [unclosed\n"),
		[]byte("- a\n- b\n"),
		[]byte("# only a comment\n"),
		[]byte(""),
	}
	for _, dir := range []string{"testdata", "../testdata/hedgehog"} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" || filepath.Base(p) == "bomb.yaml" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := splitDocuments(data)
			if err != nil {
				return nil
			}
			for _, c := range chunks {
				docs = append(docs, c.bytes)
			}
			return nil
		})
	}
	if len(docs) < 200 {
		t.Fatalf("only %d documents found", len(docs))
	}
	for i, d := range docs {
		want, wantErr := kubectlDecode(d)
		got, gotErr := decodeYAML(d)
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("document %d: error %v, kubectl's path %v\n%s", i, gotErr, wantErr, d)
		}
		if wantErr != nil {
			if yamlErrorLine(gotErr) != yamlErrorLine(wantErr) || cleanYAMLError(gotErr) != cleanYAMLError(wantErr) {
				t.Errorf("document %d: error %q, kubectl's path %q", i, cleanYAMLError(gotErr), cleanYAMLError(wantErr))
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("document %d:\n got %#v\nwant %#v\n%s", i, got, want, d)
		}
	}
}

// FuzzDecodeYAMLLikeKubectl holds decodeYAML equal to kubectl's path on
// arbitrary input.
func FuzzDecodeYAMLLikeKubectl(f *testing.F) {
	f.Add([]byte("a: on\nb: [1, 2.5, 1e3]\nc: {1: x}\n"))
	f.Add([]byte("x: 0x1F\ny: .inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return // aliases can expand small input a lot; size is not what this checks
		}
		want, wantErr := kubectlDecode(data)
		got, gotErr := decodeYAML(data)
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("error %v, kubectl's path %v for %q", gotErr, wantErr, data)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v for %q", got, want, data)
		}
	})
}
