package ingestion

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
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

// TestDecodeYAMLFastPath: the MapSlice path of decodeYAML gives what the
// exact path gives, errors included, on documents made to tell them
// apart: merge keys however spelled, keys given twice or as maps and
// lists, and maps nested in lists.
func TestDecodeYAMLFastPath(t *testing.T) {
	exact := func(data []byte) (any, error) {
		var v any
		if err := yamlv2.UnmarshalStrict(data, &v); err != nil {
			return nil, err
		}
		return jsonValue(v)
	}
	docs := []string{
		"a: 1\nb: [x, {c: 2, d: [3, {e: f}]}]\n",
		"base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
		"base: &b {x: 1}\nm:\n  !!merge \"\\x3c\\x3c\": *b\n",
		"base: &b {x: 1}\nm:\n  !<tag:yaml.org,2002:merge> x: *b\n",
		"base: &b {x: 1}\nm:\n  !!m%65rge x: *b\n",
		"%TAG !m! tag:yaml.org,2002:mer\n---\nbase: &b {x: 1}\nm:\n  !m!ge x: *b\n",
		"dup: 1\ndup: 2\n",
		"n: {a: 1, a: 2}\n",
		"? [a, b]\n: list key\n",
		"? {a: b}\n: map key\n",
		"{}\n",
		"~\n",
		"scalar\n",
		"- a\n- {b: c}\n",
		"a: &x {b: c}\nd: *x\n",
		"a: .nan\n.nan: b\n",
		"k: [unclosed\n",
		"",
	}
	for _, d := range docs {
		want, wantErr := exact([]byte(d))
		got, gotErr := decodeYAML([]byte(d))
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("%q: decodeYAML = %#v, %v; the exact path gives %#v, %v", d, got, gotErr, want, wantErr)
		}
	}
}
