package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/syncrecord"
)

func newIngestCommand(e *env) *cobra.Command {
	var (
		dryRun bool
		out    output
		limits limitFlags
	)
	cmd := &cobra.Command{
		Use:   "ingest DIR",
		Short: "Apply the ingestion rules to a local FGD folder, in place",
		Long: `ingest applies the ingestion rules to the FGD folder DIR, in place and without git:
valid raw/ files become managed/<plural>/<name>.yaml, other kinds go to unmanaged/,
rejected files stay where they are. It prints a summary, or with -o json|yaml the
sync record a sync would write; the errors go to stderr as file:line: FGD_xxxx.

Exit codes: 0 nothing rejected; 1 some files rejected; 2 a usage error.`,
		Example: `  fgdctl ingest ./dc1 --dry-run
  fgdctl ingest ./dc1 -o json`,
		Args: exactArgs(1, "exactly one folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := openFabricDir(args[0])
			if err != nil {
				return usageErrorf("ingest: %v", err)
			}
			defer root.Close()
			bundle, err := loadBundle()
			if err != nil {
				return err
			}
			started := time.Now().UTC()
			plan, err := ingestion.Ingest(root.FS(), limits.options(bundle))
			if err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
			ingested := time.Now().UTC()
			if !dryRun {
				if err := applyPlan(cmd.Context(), args[0], plan, ingestion.RawDir, ingestion.ManagedDir); err != nil {
					return fmt.Errorf("apply: %w", err)
				}
			}
			finished := time.Now().UTC()
			// The record a sync would write; a dry run is validate-only:
			// nothing is changed.
			rec := syncrecord.Record{Fabric: filepath.Base(filepath.Clean(args[0])), Trigger: "manual", State: plan.SyncState(),
				CreatedAt: started, StartedAt: &started, FinishedAt: &finished, Attempt: 1,
				Stages: []syncrecord.Stage{{Name: "ingest", DurationMS: ingested.Sub(started).Milliseconds()},
					{Name: "apply", DurationMS: finished.Sub(ingested).Milliseconds()}},
				Counts: plan.Counts, Errors: plan.Errors, Warnings: plan.Warnings, ValidateOnly: dryRun}
			if err := out.print(e.stdout, rec, func(w io.Writer) { printSummary(w, plan, dryRun) }); err != nil {
				return err
			}
			printIssues(e.stderr, plan)
			if len(plan.Errors) > 0 {
				return rejected()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "plan only; change nothing")
	addOutputFlag(cmd, &out)
	limits.register(cmd.Flags())
	return cmd
}

func printSummary(w io.Writer, p *ingestion.Plan, dryRun bool) {
	c := p.Counts
	if dryRun {
		fmt.Fprintln(w, "dry run: nothing was changed")
	}
	for _, row := range []struct {
		label string
		n     int
	}{
		{"raw files processed", c.FilesProcessed},
		{"resources created", c.ResourcesCreated},
		{"resources updated", c.ResourcesUpdated},
		{"resources unchanged", c.ResourcesUnchanged},
		{"files to unmanaged/", c.FilesUnmanaged},
		{"files rejected", c.FilesRejected},
		{"files written", len(p.Writes)},
		{"files removed", len(p.Removes)},
	} {
		fmt.Fprintf(w, "%s\t%d\n", row.label, row.n)
	}
}
