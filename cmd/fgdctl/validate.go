package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
)

func newValidateCommand(e *env) *cobra.Command {
	var limits limitFlags
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check YAML files the way ingestion would (for pre-commit hooks)",
		Long: `validate checks YAML files as a sync would check them in raw/, and prints each
problem on stdout as file:line: FGD_xxxx path: message. It changes nothing.

Exit codes: 0 all files valid; 1 some file rejected; 2 a usage error.`,
		Example: `  fgdctl validate $(git diff --cached --name-only -- 'raw/*.yaml' 'raw/*.yml')`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("validate takes one or more files")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, files []string) error {
			return validateFiles(e, files, limits)
		},
	}
	limits.register(cmd.Flags())
	return cmd
}

func validateFiles(e *env, files []string, limits limitFlags) error {
	// Each file is placed in raw/ of an in-memory folder under its own
	// index, so that names never clash and issues map back to the name given.
	mem := fstest.MapFS{}
	names := map[string]string{}
	for i, name := range files {
		info, err := os.Lstat(name)
		if err != nil {
			return usageErrorf("validate: %v", err)
		}
		key := fmt.Sprintf("%s/%d/%s", ingestion.RawDir, i, sanitizeBase(filepath.Base(name)))
		names[key] = name
		if info.Mode()&os.ModeSymlink != 0 {
			mem[key] = &fstest.MapFile{Mode: os.ModeSymlink}
			continue
		}
		if info.IsDir() {
			return usageErrorf("validate: %s is a folder; use fgdctl ingest --dry-run for folders", name)
		}
		if info.Size() > limits.maxFileBytes {
			// Refused before it is read.
			fmt.Fprintf(e.stdout, "%s: %s the file is %d bytes; the limit is %d bytes\n", name, fgderr.LimitExceeded, info.Size(), limits.maxFileBytes)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return usageErrorf("validate: %v", err)
		}
		mem[key] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	bundle, err := loadBundle()
	if err != nil {
		return err
	}
	plan, err := ingestion.Ingest(mem, limits.options(bundle))
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	rename := func(i ingestion.Issue) ingestion.Issue {
		if n, ok := names[i.File]; ok {
			i.File = n
		}
		i.Message = replaceNames(i.Message, names)
		return i
	}
	refused := len(files) - len(mem)
	for _, i := range plan.Errors {
		fmt.Fprintln(e.stdout, rename(i).String())
	}
	for _, i := range plan.Warnings {
		fmt.Fprintln(e.stderr, "warning: "+rename(i).String())
	}
	if n := len(plan.Errors) + refused; n > 0 {
		return &exitError{code: exitRejected, err: fmt.Errorf("validate: %d problems found", n)}
	}
	fmt.Fprintf(e.stderr, "%d files valid\n", len(files))
	return nil
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
