// Command fgdctl is fgd-sync's command-line tool: offline ingest, validate
// and init of a Fabric GitOps Directory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"text/tabwriter"
	"time"

	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/fabricdir"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

const usage = `usage: fgdctl <command> [arguments]

commands:
  ingest DIR [--dry-run] [-o json] [--namespace NS]
                  apply the ingestion rules to a local FGD folder, in place
  validate FILE…  check YAML files the way ingestion would (for pre-commit hooks)
  init DIR [--fabric NAME] [--namespace NS]
                  create raw/, managed/, unmanaged/, .hnp/manifest.yaml and README.md where missing

admin client (HEDGEHOG_FGD_URL, HEDGEHOG_FGD_ADMIN_TOKEN; --url, --token; -o json):
  fabric add -f FABRIC.yaml | --name N --repository OWNER/NAME [--branch B] [--path P] …
  fabric list | get NAME | rm NAME
  sync FABRIC [--validate-only] [--force-refresh] [--wait]
  status SYNC_ID
  syncs FABRIC [--limit N]
  resources FABRIC [--kind K]
  health          readiness, queue backlog and the workers seen

exit codes: 0 clean (or succeeded), 1 files rejected (or a partial/failed sync, an API error), 2 usage error
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "ingest":
		return cmdIngest(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "init":
		return cmdInit(args[1:], stdout, stderr)
	case "fabric":
		return cmdFabric(args[1:], stdout, stderr)
	case "sync":
		return cmdSync(args[1:], stdout, stderr)
	case "status":
		return cmdStatus(args[1:], stdout, stderr)
	case "syncs":
		return cmdSyncs(args[1:], stdout, stderr)
	case "resources":
		return cmdResources(args[1:], stdout, stderr)
	case "health":
		return cmdHealth(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "fgdctl: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parseInterleaved parses flags that may come before or after positional
// arguments, as in "fgdctl ingest DIR --dry-run".
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "fgdctl: "+format+"\n", args...)
	return exitUsage
}

// limitFlags are the ingestion options every command takes.
type limitFlags struct {
	namespace    string
	maxFileBytes int64
	maxDocuments int
}

func (l *limitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.namespace, "namespace", ingestion.DefaultNamespace, "the fabric namespace")
	fs.Int64Var(&l.maxFileBytes, "max-file-bytes", ingestion.DefaultMaxFileBytes, "largest raw file accepted")
	fs.IntVar(&l.maxDocuments, "max-documents", ingestion.DefaultMaxDocuments, "most documents in one run")
}

func (l *limitFlags) options(b *ingestion.Bundle) ingestion.Options {
	return ingestion.Options{Bundle: b, Namespace: l.namespace, MaxFileBytes: l.maxFileBytes, MaxDocuments: l.maxDocuments}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fgdctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
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

// record is the sync record's shape (DESIGN.md), for -o json.
type record struct {
	ID         string            `json:"id"`
	Fabric     string            `json:"fabric"`
	Trigger    string            `json:"trigger"`
	State      string            `json:"state"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Commit     string            `json:"commit"`
	Attempt    int               `json:"attempt"`
	Stages     []stage           `json:"stages"`
	Counts     ingestion.Counts  `json:"counts"`
	Errors     []ingestion.Issue `json:"errors"`
	Warnings   []ingestion.Issue `json:"warnings"`
	DryRun     bool              `json:"dry_run"`
}

type stage struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
}

func cmdIngest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ingest", stderr)
	dryRun := fs.Bool("dry-run", false, "plan only; change nothing")
	output := fs.String("o", "", "output format: json for the sync-record shape")
	var lf limitFlags
	lf.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		return usageError(stderr, "ingest takes exactly one folder")
	}
	if *output != "" && *output != "json" {
		return usageError(stderr, "-o takes json, got %q", *output)
	}
	root, err := openFabricDir(pos[0])
	if err != nil {
		return usageError(stderr, "ingest: %v", err)
	}
	defer root.Close()
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: internal error: CRD bundle:", err)
		return exitUsage
	}

	started := time.Now().UTC()
	plan, err := ingestion.Ingest(root.FS(), lf.options(bundle))
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: ingest:", err)
		return exitRejected
	}
	ingestDone := time.Now().UTC()
	if !*dryRun {
		if err := applyPlan(pos[0], plan, ingestion.RawDir, ingestion.ManagedDir); err != nil {
			fmt.Fprintln(stderr, "fgdctl: apply:", err)
			return exitRejected
		}
	}
	finished := time.Now().UTC()

	if *output == "json" {
		rec := record{Fabric: filepath.Base(filepath.Clean(pos[0])), Trigger: "manual", State: plan.SyncState(), Attempt: 1,
			StartedAt: started, FinishedAt: finished, Counts: plan.Counts, Errors: plan.Errors, Warnings: plan.Warnings, DryRun: *dryRun,
			Stages: []stage{{"ingest", ingestDone.Sub(started).Milliseconds()}, {"apply", finished.Sub(ingestDone).Milliseconds()}}}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rec)
	} else {
		printSummary(stdout, plan, *dryRun)
	}
	printIssues(stderr, plan)
	if len(plan.Errors) > 0 {
		return exitRejected
	}
	return exitOK
}

func printSummary(w io.Writer, p *ingestion.Plan, dryRun bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	c := p.Counts
	if dryRun {
		fmt.Fprintln(tw, "dry run: nothing was changed")
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
		fmt.Fprintf(tw, "%s\t%d\n", row.label, row.n)
	}
	_ = tw.Flush()
}

func printIssues(w io.Writer, p *ingestion.Plan) {
	for _, i := range p.Errors {
		fmt.Fprintln(w, i.String())
	}
	for _, i := range p.Warnings {
		fmt.Fprintln(w, "warning: "+i.String())
	}
}

// applyPlan writes and removes the plan's files in dir, then removes the
// folders below prune that it emptied, as git would. No symlink below dir is
// followed.
func applyPlan(dir string, plan *ingestion.Plan, prune ...string) error {
	d, err := fabricdir.Open(dir, fabricdir.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	writes := make([]fabricdir.File, len(plan.Writes))
	for i, w := range plan.Writes {
		writes[i] = fabricdir.File{Path: w.Path, Data: w.Content}
	}
	if err := d.Apply(context.Background(), writes, plan.Removes); err != nil {
		if errors.Is(err, fabricdir.ErrSymlink) {
			return fmt.Errorf("%s %w", ingestion.CodeSymlink, err)
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

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", stderr)
	var lf limitFlags
	lf.register(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		return usageError(stderr, "validate takes one or more files")
	}
	// Each file is placed in raw/ of an in-memory folder under its own
	// index, so that names never clash and issues map back to the name given.
	mem := fstest.MapFS{}
	names := map[string]string{}
	for i, name := range files {
		info, err := os.Lstat(name)
		if err != nil {
			return usageError(stderr, "validate: %v", err)
		}
		key := fmt.Sprintf("%s/%d/%s", ingestion.RawDir, i, sanitizeBase(filepath.Base(name)))
		names[key] = name
		if info.Mode()&os.ModeSymlink != 0 {
			mem[key] = &fstest.MapFile{Mode: os.ModeSymlink}
			continue
		}
		if info.IsDir() {
			return usageError(stderr, "validate: %s is a folder; use fgdctl ingest --dry-run for folders", name)
		}
		if info.Size() > lf.maxFileBytes {
			// Refused before it is read.
			fmt.Fprintf(stdout, "%s: %s the file is %d bytes; the limit is %d bytes\n", name, ingestion.CodeLimitExceeded, info.Size(), lf.maxFileBytes)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return usageError(stderr, "validate: %v", err)
		}
		mem[key] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: internal error: CRD bundle:", err)
		return exitUsage
	}
	plan, err := ingestion.Ingest(mem, lf.options(bundle))
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: validate:", err)
		return exitRejected
	}
	rename := func(i ingestion.Issue) ingestion.Issue {
		if n, ok := names[i.File]; ok {
			i.File = n
		}
		i.Message = replaceNames(i.Message, names)
		return i
	}
	failed := len(files) - len(mem)
	for _, i := range plan.Errors {
		fmt.Fprintln(stdout, rename(i).String())
	}
	for _, i := range plan.Warnings {
		fmt.Fprintln(stderr, "warning: "+rename(i).String())
	}
	if len(plan.Errors) > 0 || failed > 0 {
		return exitRejected
	}
	fmt.Fprintf(stderr, "%d files valid\n", len(files))
	return exitOK
}

func sanitizeBase(b string) string {
	if b == "" || b == "." || b == ".." || b == "/" {
		return "file.yaml"
	}
	return b
}

// replaceNames turns in-memory keys in a message back into the names given.
func replaceNames(msg string, names map[string]string) string {
	for key, name := range names {
		msg = strings.ReplaceAll(msg, key, name)
	}
	return msg
}

func cmdInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("init", stderr)
	fabric := fs.String("fabric", "", "fabric name for the manifest (default: the folder's name)")
	namespace := fs.String("namespace", ingestion.DefaultNamespace, "the fabric namespace")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		return usageError(stderr, "init takes exactly one folder")
	}
	dir := pos[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError(stderr, "init: %v", err)
	}
	root, err := openFabricDir(dir)
	if err != nil {
		return usageError(stderr, "init: %v", err)
	}
	defer root.Close()
	if *fabric == "" {
		abs, _ := filepath.Abs(dir)
		*fabric = filepath.Base(abs)
	}
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: internal error: CRD bundle:", err)
		return exitUsage
	}
	plan, err := ingestion.InitPlan(root.FS(), bundle, *fabric, *namespace)
	if err != nil {
		fmt.Fprintln(stderr, "fgdctl: init:", err)
		return exitRejected
	}
	if err := applyPlan(dir, plan); err != nil {
		fmt.Fprintln(stderr, "fgdctl: init:", err)
		return exitRejected
	}
	for _, w := range plan.Writes {
		fmt.Fprintf(stdout, "created  %s\n", w.Path)
	}
	if len(plan.Writes) == 0 {
		fmt.Fprintln(stdout, "nothing to do: the structure is complete")
	}
	printIssues(stderr, plan)
	if len(plan.Errors) > 0 {
		return exitRejected
	}
	return exitOK
}
