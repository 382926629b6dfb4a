package ingestion

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing/fstest"
)

// ValidateFiles checks files as one set, as if they were the raw/ folder of
// an otherwise empty FGD: each document is validated with every rule, and
// references resolve among the files given (fgdctl validate FILE…). The
// keys of files are the names the caller shows; every issue, source and
// rejected file of the plan is named by them. Use opts.FabricConfig for
// the [cfg] rules.
//
// To check a whole FGD (raw/ together with managed/ and .hnp/fabric.yaml),
// call Ingest on the folder and apply nothing: that is fgdctl validate
// --dir.
//
// The plan holds the errors, warnings, counts, sources and rejected files
// that Ingest would give; it has no writes and no resources: each
// document is dropped once checked, keeping only what the checks across
// documents need (its fingerprint, its defaulted object for Hedgehog's
// cross-resource rules and where it is).
func ValidateFiles(files map[string][]byte, opts Options) (*Plan, error) {
	opts.lean = true
	return validateFiles(files, opts)
}

// validateFiles is ValidateFiles, lean or with the whole plan (opts.lean).
func validateFiles(files map[string][]byte, opts Options) (*Plan, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	// Each file goes to raw/<index>/<base>: names never clash, never escape,
	// and keep their extension, which decides whether they are YAML.
	mem := memMapFS{}
	toName := map[string]string{}
	for i, n := range names {
		base := path.Base(strings.ReplaceAll(n, `\`, "/"))
		if base == "" || base == "." || base == ".." || base == "/" {
			base = "file.yaml"
		}
		key := fmt.Sprintf("%s/%d/%s", RawDir, i, base)
		mem[key] = &fstest.MapFile{Data: files[n], Mode: 0o644}
		toName[key] = n
	}
	p, err := Ingest(mem, opts)
	if err != nil {
		return nil, err
	}
	rename := func(s string) string {
		if n, ok := toName[s]; ok {
			return n
		}
		return s
	}
	// Longest keys first, so that raw/1/a.yaml never replaces inside raw/11/a.yaml.
	keys := sortedKeys(toName)
	sort.SliceStable(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	renameIssues := func(is []Issue) {
		for i := range is {
			is[i].File = rename(is[i].File)
			for _, k := range keys {
				is[i].Message = strings.ReplaceAll(is[i].Message, k, toName[k])
			}
		}
	}
	renameIssues(p.Errors)
	renameIssues(p.Warnings)
	for i := range p.Rejected {
		p.Rejected[i] = rename(p.Rejected[i])
	}
	for i := range p.Sources {
		p.Sources[i].Path = rename(p.Sources[i].Path)
	}
	return p, nil
}

// memFS is an FS whose files are bytes in memory, which ingestion reads
// without copying them (they are never changed).
type memFS interface {
	fs.FS
	fileBytes(name string) ([]byte, bool)
}

// memMapFS is the memFS of ValidateFiles: the caller's bytes, not a copy.
type memMapFS fstest.MapFS

func (m memMapFS) Open(name string) (fs.File, error) { return fstest.MapFS(m).Open(name) }

func (m memMapFS) fileBytes(name string) ([]byte, bool) {
	f, ok := m[name]
	if !ok || !f.Mode.IsRegular() {
		return nil, false
	}
	return f.Data, true
}
