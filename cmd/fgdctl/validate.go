package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/ingestion/report"
	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

// validateFormat is validate's -o: text lines, or a report for machines.
type validateFormat string

const (
	validateText  validateFormat = "text"
	validateJSON  validateFormat = "json"
	validateSARIF validateFormat = "sarif"
)

func (f *validateFormat) String() string { return string(*f) }

func (f *validateFormat) Set(s string) error {
	switch v := validateFormat(s); v {
	case validateText, validateJSON, validateSARIF:
		*f = v
		return nil
	}
	return fmt.Errorf("must be text, json or sarif")
}

func (f *validateFormat) Type() string { return "format" }

// validateFlags are validate's own flags, beside the limits.
type validateFlags struct {
	limits       limitFlags
	dir          string
	fabricConfig string
	format       validateFormat
}

func (v *validateFlags) register(fs *pflag.FlagSet) {
	v.limits.register(fs)
	v.format = validateText
	fs.StringVar(&v.dir, "dir", "", "check the FGD folder `FGD`: raw/ together with managed/")
	fs.StringVar(&v.fabricConfig, "fabric-config", "", "fabric-wide settings `FILE` (Hedgehog's fabric config keys); default: .hnp/fabric.yaml of --dir")
	fs.VarP(&v.format, "output", "o", "output format: text, json or sarif (SARIF 2.1.0, for GitHub code scanning)")
}

func newValidateCommand(e *env) *cobra.Command {
	var flags validateFlags
	cmd := &cobra.Command{
		Use:   "validate FILE... | --dir FGD",
		Short: "Check YAML files the way ingestion would (for pre-commit hooks and CI)",
		Long: `validate checks YAML files as a sync would check them in raw/. The files given are
one set: references between them resolve (a VPCAttachment in one file may name a
VPC in another). With --dir it checks the FGD folder's raw/ together with its
managed/ and .hnp/fabric.yaml, as a sync would. It changes nothing.

Each problem is printed on stdout as file:line: FGD_xxxx path: message, warnings
on stderr; -o json or -o sarif print one report on stdout instead (SARIF paths are
relative to the current folder, which should be the repository's root).

Exit codes: 0 all files valid; 1 some file rejected; 2 a usage error.`,
		Example: `  fgdctl validate $(git diff --cached --name-only -- 'raw/*.yaml' 'raw/*.yml')
  fgdctl validate --dir ./dc1 -o sarif > fgd.sarif`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case flags.dir != "" && len(args) > 0:
				return usageErrorf("validate takes files or --dir, not both")
			case flags.dir == "" && len(args) == 0:
				return usageErrorf("validate takes one or more files, or --dir FGD")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, files []string) error {
			return runValidate(e, files, flags)
		},
	}
	flags.register(cmd.Flags())
	return cmd
}

// validateMemoryLimit is the soft memory limit of fgdctl validate when
// GOMEMLIMIT is not set, in place of defaultMemoryLimit. Validate keeps of
// each document only what the checks across documents need, about 30 MiB
// for the 10,126-document benchmark corpus, and about 37 MiB once the
// cross-resource rules run; at this limit the garbage collector keeps the
// heap near that instead of letting it grow to twice, for a little more
// CPU (BenchmarkValidateVsKubeconform measures both). The limit, not the
// heap, sets the peak RSS: with the rules across resources on both cores,
// 58 MiB gave 66 MB, 56 MiB gives what 58 MiB gave before (64 MB).
const validateMemoryLimit = 56 << 20

func runValidate(e *env, files []string, flags validateFlags) error {
	if e.getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(validateMemoryLimit))
	}
	bundle, err := loadBundle()
	if err != nil {
		return err
	}
	opts := flags.limits.options(bundle)
	var configIssue *ingestion.Issue
	if flags.fabricConfig != "" {
		data, err := os.ReadFile(flags.fabricConfig)
		if err != nil {
			return usageErrorf("validate: --fabric-config: %v", err)
		}
		opts.FabricConfig, configIssue = ingestion.ParseFabricConfig(data)
		if configIssue != nil {
			configIssue.File = flags.fabricConfig
		}
	}
	var (
		plan     *ingestion.Plan
		prefix   string
		nChecked int
	)
	if flags.dir != "" {
		plan, prefix, err = validateDir(flags.dir, opts)
	} else {
		plan, err = validateFileSet(files, opts)
		nChecked = len(files)
	}
	if err != nil {
		return err
	}
	if configIssue != nil {
		// A broken fabric config is an error of its own; the rules that
		// need it were skipped.
		plan.Errors = append([]ingestion.Issue{*configIssue}, plan.Errors...)
	}
	if err := printValidation(e, plan, flags.format, report.Options{ToolVersion: buildinfo.Get().Version, PathPrefix: prefix}); err != nil {
		return err
	}
	if n := len(plan.Errors); n > 0 {
		return &exitError{code: exitRejected, err: fmt.Errorf("validate: %d problems found", n)}
	}
	if flags.dir != "" {
		nChecked = plan.Counts.FilesProcessed
	}
	fmt.Fprintf(e.stderr, "%d files valid\n", nChecked)
	return nil
}

// validateFileSet checks the files as one set. A symlink or an oversized
// file is refused before it is read, and reported under the name given.
func validateFileSet(files []string, opts ingestion.Options) (*ingestion.Plan, error) {
	set := make(map[string][]byte, len(files))
	var refused []ingestion.Issue
	for _, name := range files {
		info, err := os.Lstat(name)
		if err != nil {
			return nil, usageErrorf("validate: %v", err)
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			refused = append(refused, ingestion.Issue{Code: fgderr.Symlink, File: name,
				Message: "is a symlink; symlinks are never followed, so it is left as it is: replace it with the file itself"})
			continue
		case info.IsDir():
			return nil, usageErrorf("validate: %s is a folder; use fgdctl validate --dir for an FGD folder", name)
		case info.Size() > opts.MaxFileBytes:
			refused = append(refused, ingestion.Issue{Code: fgderr.LimitExceeded, File: name,
				Message: fmt.Sprintf("the file is %d bytes; the limit is %d bytes", info.Size(), opts.MaxFileBytes)})
			continue
		}
		if _, dup := set[name]; dup {
			continue // the same name twice is one file
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, usageErrorf("validate: %v", err)
		}
		set[name] = data
	}
	plan, err := ingestion.ValidateFiles(set, opts)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	plan.Errors = append(refused, plan.Errors...)
	return plan, nil
}

// validateDir checks an FGD folder as a sync would, and applies nothing.
// The prefix is the folder relative to the current one, so that SARIF
// locations are relative to the repository's root when run from there.
func validateDir(dir string, opts ingestion.Options) (*ingestion.Plan, string, error) {
	root, err := openFabricDir(dir)
	if err != nil {
		return nil, "", usageErrorf("validate: %v", err)
	}
	defer root.Close()
	plan, err := ingestion.Ingest(root.FS(), opts)
	if err != nil {
		return nil, "", fmt.Errorf("validate: %w", err)
	}
	prefix := filepath.Clean(dir)
	if abs, err := filepath.Abs(dir); err == nil {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil {
				prefix = rel
			}
		}
	}
	return plan, filepath.ToSlash(prefix), nil
}

// printValidation prints errors on stdout and warnings on stderr as text,
// or the whole plan as one report on stdout.
func printValidation(e *env, plan *ingestion.Plan, format validateFormat, opts report.Options) error {
	var err error
	switch format {
	case validateJSON:
		err = report.WriteJSON(e.stdout, plan, opts)
	case validateSARIF:
		err = report.WriteSARIF(e.stdout, plan, opts)
	default:
		printTextIssues(e.stdout, e.stderr, plan)
	}
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}

func printTextIssues(stdout, stderr io.Writer, plan *ingestion.Plan) {
	for _, i := range plan.Errors {
		fmt.Fprintln(stdout, i.String())
	}
	for _, i := range plan.Warnings {
		fmt.Fprintln(stderr, "warning: "+i.String())
	}
}
