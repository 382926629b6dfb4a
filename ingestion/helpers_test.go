package ingestion

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/githedgehog/fgd-sync/fgderr"
)

var (
	bundleOnce sync.Once
	bundleVal  *Bundle
	bundleErr  error
)

// testBundle compiles the embedded bundle once per test binary.
func testBundle(t testing.TB) *Bundle {
	t.Helper()
	bundleOnce.Do(func() { bundleVal, bundleErr = LoadBundle() })
	if bundleErr != nil {
		t.Fatalf("load bundle: %v", bundleErr)
	}
	return bundleVal
}

// loadDir reads a folder into an in-memory FS.
func loadDir(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustIngest(t testing.TB, fsys fs.FS, opts Options) *Plan {
	t.Helper()
	if opts.Bundle == nil {
		opts.Bundle = testBundle(t)
	}
	p, err := Ingest(fsys, opts)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return p
}

func writesOf(p *Plan) map[string][]byte {
	m := map[string][]byte{}
	for _, w := range p.Writes {
		m[w.Path] = w.Content
	}
	return m
}

func errorsOf(p *Plan, file string) []Issue {
	var out []Issue
	for _, e := range p.Errors {
		if e.File == file {
			out = append(out, e)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// mapWriter applies a plan to an in-memory FS.
type mapWriter struct{ m fstest.MapFS }

func (w mapWriter) WriteFile(name string, data []byte) error {
	w.m[name] = &fstest.MapFile{Data: append([]byte(nil), data...), Mode: 0o644}
	return nil
}

func (w mapWriter) Remove(name string) error {
	if _, ok := w.m[name]; !ok {
		return fs.ErrNotExist
	}
	delete(w.m, name)
	return nil
}

// applied returns a copy of fsys with the plan applied.
func applied(t testing.TB, fsys fstest.MapFS, p *Plan) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	if err := Apply(p, mapWriter{out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAccounting asserts the accounting invariant: every document of every
// raw file is in exactly one place, and a raw file is removed only when all
// of it landed in this same plan.
func checkAccounting(t testing.TB, fsys fs.FS, p *Plan) {
	t.Helper()
	writes := writesOf(p)
	removed := map[string]bool{}
	for _, r := range p.Removes {
		removed[r] = true
	}
	rejected := map[string]bool{}
	for _, r := range p.Rejected {
		rejected[r] = true
	}
	// What the folder will hold after the plan.
	exists := func(path string) bool {
		if _, ok := writes[path]; ok {
			return true
		}
		if removed[path] {
			return false
		}
		_, err := fs.Stat(fsys, path)
		return err == nil
	}
	for _, s := range p.Sources {
		switch s.Outcome {
		case OutcomeIngested:
			if !removed[s.Path] || rejected[s.Path] {
				t.Errorf("%s ingested but removed=%v rejected=%v", s.Path, removed[s.Path], rejected[s.Path])
			}
			if s.Hedgehog+s.Foreign != s.Documents {
				t.Errorf("%s: %d documents, but %d managed and %d unmanaged", s.Path, s.Documents, s.Hedgehog, s.Foreign)
			}
			if len(s.Managed) < s.Hedgehog {
				t.Errorf("%s: %d Hedgehog documents but %d managed files", s.Path, s.Hedgehog, len(s.Managed))
			}
			for _, m := range s.Managed {
				if !exists(m) {
					t.Errorf("%s: its resource %s is not in the result", s.Path, m)
				}
			}
			if (s.Foreign > 0 || s.Documents == 0) && (s.Unmanaged == "" || !exists(s.Unmanaged)) {
				t.Errorf("%s: its other documents did not land in unmanaged/ (%q)", s.Path, s.Unmanaged)
			}
		case OutcomeRejected, OutcomeKept:
			if removed[s.Path] {
				t.Errorf("%s is %s but removed", s.Path, s.Outcome)
			}
			if _, written := writes[s.Path]; written {
				t.Errorf("%s is %s but rewritten", s.Path, s.Outcome)
			}
		default:
			t.Errorf("%s: unknown outcome %q", s.Path, s.Outcome)
		}
	}
	// Every raw YAML file is accounted for.
	_ = fs.WalkDir(fsys, RawDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		found := false
		for _, s := range p.Sources {
			found = found || s.Path == path
		}
		base := strings.ToLower(path)
		if !found && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			t.Errorf("raw file %s is not accounted for", path)
		}
		return nil
	})
	// No write leaves the fabric folder or lands in raw/.
	for _, w := range p.Writes {
		if !fs.ValidPath(w.Path) || strings.HasPrefix(w.Path, RawDir+"/") {
			t.Errorf("write to %q", w.Path)
		}
	}
}

func sortedPaths(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withoutInstallerWarnings drops the warnings about a VPC's IPv4Namespace or
// VLANNamespace that the FGD does not hold (VPC-24, VPC-25): the installer
// creates the default ones, so most fixtures' VPCs name them.
func withoutInstallerWarnings(ws []Issue) []Issue {
	var out []Issue
	for _, w := range ws {
		if w.Code == fgderr.Integrity && (w.Rule == "VPC-24" || w.Rule == "VPC-25") {
			continue
		}
		out = append(out, w)
	}
	return out
}
