package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/fabricdir"
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

// applyPlan writes and removes the plan's files in dir, then removes the
// folders below prune that it emptied, as git would. No symlink below dir is
// followed: a symlinked folder fails with FGD_2003 before anything is
// written, and a symlinked file is replaced, never written through.
func applyPlan(ctx context.Context, dir string, plan *ingestion.Plan, prune ...string) error {
	d, err := fabricdir.Open(dir, fabricdir.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	writes := make([]fabricdir.File, len(plan.Writes))
	for i, w := range plan.Writes {
		writes[i] = fabricdir.File{Path: w.Path, Data: w.Content}
	}
	if err := d.Apply(ctx, writes, plan.Removes); err != nil {
		if errors.Is(err, fabricdir.ErrSymlink) {
			return fmt.Errorf("%s %w", fgderr.Symlink, err)
		}
		return err
	}
	for _, sub := range prune {
		if err := d.PruneEmpty(sub); err != nil {
			return err
		}
	}
	return nil
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
