// Command fgdctl is fgd-sync's command-line tool: the FGD rules on a local
// folder (init, ingest, validate) and the client of the admin API (fabrics,
// syncs, records, resources, health, tokens, audit).
//
// Each command lives in its own file; newRootCommand assembles the tree.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// defaultMemoryLimit is the soft memory limit of an fgdctl run when
// GOMEMLIMIT is not set. An ingest of a large FGD keeps every resource until
// its plan is done; near this limit the garbage collector works harder
// instead of letting the heap grow to twice what is live, which keeps
// the 10,126-document benchmark corpus well under 150 MiB of RSS.
const defaultMemoryLimit = 120 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1 // a failed result: rejected files, a partial or failed sync, an API error
	exitUsage    = 2 // unknown command or flag, wrong arguments
)

// env is what every command gets from run: the environment and the streams.
// Results go to stdout, errors and progress to stderr.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// exitError ends a command with an exit code. A nil err prints nothing more:
// the command has already said why.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a usage error: exit 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// rejected is a failed result the command has already reported: exit 1.
func rejected() error { return &exitError{code: exitRejected} }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	root := newRootCommand(&env{getenv: getenv, stdout: stdout, stderr: stderr})
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// Only cobra's own errors arrive untyped (resultErrors types every
		// error a command returns): an unknown command or flag, a flag's
		// bad value, the wrong number of arguments.
		ee = &exitError{code: exitUsage, err: err}
	}
	if ee.err != nil {
		fmt.Fprintln(stderr, "fgdctl:", ee.err)
	}
	if ee.code == exitUsage && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return ee.code
}

// newRootCommand builds the command tree. Nothing in it reads the
// environment or the network until a command runs, so --help always works.
func newRootCommand(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "fgdctl",
		Short: "fgd-sync's command-line tool",
		Long: `fgdctl applies the FGD rules to a local folder (init, ingest, validate) and is the
client of fgd-sync's admin API (fabric, sync, status, syncs, resources, health,
token, audit).

The admin commands read HEDGEHOG_FGD_URL and HEDGEHOG_FGD_ADMIN_TOKEN, or --url and
--token. Read commands print a table, or -o json / -o yaml for scripts.

Exit codes: 0 success; 1 a failed result (files rejected, a partial or failed
sync, an API error); 2 a usage error.`,
		SilenceErrors: true, // run prints them, to stderr, once
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(e.stderr, cmd.UsageString())
			return usageErrorf("a command is needed")
		},
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.AddGroup(
		&cobra.Group{ID: groupLocal, Title: "A local FGD folder:"},
		&cobra.Group{ID: groupAdmin, Title: "The admin API:"},
	)
	for _, c := range []*cobra.Command{newInitCommand(e), newIngestCommand(e), newValidateCommand(e)} {
		c.GroupID = groupLocal
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newFabricCommand(e), newSyncCommand(e), newStatusCommand(e),
		newSyncsCommand(e), newResourcesCommand(e), newHealthCommand(e), newTokenCommand(e), newAuditCommand(e)} {
		c.GroupID = groupAdmin
		root.AddCommand(c)
	}
	root.AddCommand(newVersionCommand(e))
	root.InitDefaultCompletionCmd()
	completionNeedsShell(root)
	resultErrors(root)
	return root
}

const (
	groupLocal = "local"
	groupAdmin = "admin"
)

// resultErrors makes every error a command's RunE returns a typed one:
// usage errors stay exit 2, anything else is a failed result, exit 1. So an
// untyped error in run can only be cobra's own, which are usage errors.
func resultErrors(c *cobra.Command) {
	if runE := c.RunE; runE != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := runE(cmd, args)
			var ee *exitError
			if err == nil || errors.As(err, &ee) {
				return err
			}
			return &exitError{code: exitRejected, err: err}
		}
	}
	for _, sub := range c.Commands() {
		resultErrors(sub)
	}
}

// groupCommand is a command that only holds subcommands: run without one,
// or with an unknown one, it is a usage error.
func groupCommand(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("%s needs a subcommand", cmd.CommandPath())
			}
			return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		},
	}
	c.AddCommand(subs...)
	return c
}

// completionNeedsShell makes "completion" without a shell, or with an
// unknown one, a usage error; cobra's own only prints its help.
func completionNeedsShell(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = func(cmd *cobra.Command, _ []string) error {
				return usageErrorf("%s needs a shell: bash, zsh, fish or powershell", cmd.CommandPath())
			}
		}
	}
}

// exactArgs is cobra.ExactArgs with a message saying what the arguments are.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %s", cmd.CommandPath(), what)
		}
		return nil
	}
}
