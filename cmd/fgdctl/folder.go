package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/spf13/pflag"

	"github.com/githedgehog/fgd-sync/ingestion"
)

// limitFlags are the ingestion options of ingest and validate.
type limitFlags struct {
	namespace    string
	maxFileBytes int64
	maxDocuments int
}

func (l *limitFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&l.namespace, "namespace", ingestion.DefaultNamespace, "the fabric namespace")
	fs.Int64Var(&l.maxFileBytes, "max-file-bytes", ingestion.DefaultMaxFileBytes, "largest raw file accepted")
	fs.IntVar(&l.maxDocuments, "max-documents", ingestion.DefaultMaxDocuments, "most documents in one run")
}

func (l *limitFlags) options(b *ingestion.Bundle) ingestion.Options {
	return ingestion.Options{Bundle: b, Namespace: l.namespace, MaxFileBytes: l.maxFileBytes, MaxDocuments: l.maxDocuments}
}

// loadBundle loads the CRD schemas compiled into fgdctl; failing is a bug
// in the build, not in the input.
func loadBundle() (*ingestion.Bundle, error) {
	b, err := ingestion.LoadBundle()
	if err != nil {
		return nil, fmt.Errorf("internal error: CRD bundle: %w", err)
	}
	return b, nil
}

// openFabricDir opens DIR as a root that nothing can escape, symlinks
// included.
func openFabricDir(dir string) (*os.Root, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	return os.OpenRoot(dir)
}

// rootWriter applies a plan inside an os.Root.
type rootWriter struct{ root *os.Root }

func (w rootWriter) WriteFile(name string, data []byte) error {
	if err := w.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	return w.root.WriteFile(name, data, 0o644)
}

func (w rootWriter) Remove(name string) error { return w.root.Remove(name) }

// pruneEmptyDirs removes folders below dir that ingestion emptied, as git
// would; dir itself stays.
func pruneEmptyDirs(root *os.Root, dir string) {
	var dirs []string
	_ = fs.WalkDir(root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != dir {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if entries, err := fs.ReadDir(root.FS(), dirs[i]); err == nil && len(entries) == 0 {
			_ = root.Remove(dirs[i])
		}
	}
}

// printIssues writes a plan's errors and warnings, one a line.
func printIssues(w io.Writer, p *ingestion.Plan) {
	for _, i := range p.Errors {
		fmt.Fprintln(w, i.String())
	}
	for _, i := range p.Warnings {
		fmt.Fprintln(w, "warning: "+i.String())
	}
}
