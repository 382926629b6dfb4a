package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/syncrecord"
)

func newStatusCommand(e *env) *cobra.Command {
	var (
		cf  clientFlags
		out output
	)
	cmd := &cobra.Command{
		Use:   "status SYNC_ID",
		Short: "Show one sync record",
		Long: `status prints a sync's record: its state, stages, counts and commit; its errors go
to stderr as file:line: FGD_xxxx. A sync still in the queue shows state queued.`,
		Args: exactArgs(1, "one sync id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := call[syncrecord.Record](cmd, e, &cf, http.MethodGet, pathOf("syncs", args[0]), nil)
			if err != nil {
				return err
			}
			return printRecord(e, out, &rec)
		},
	}
	cf.register(cmd.Flags())
	addOutputFlag(cmd, &out)
	return cmd
}

// printRecord prints a sync record; in a table, its errors and warnings go
// to stderr, one a line.
func printRecord(e *env, out output, r *syncrecord.Record) error {
	err := out.print(e.stdout, r, func(w io.Writer) {
		fmt.Fprintf(w, "sync\t%s\nfabric\t%s\ntrigger\t%s\nstate\t%s\nattempt\t%d\ncommit\t%s\n", r.ID, r.Fabric, r.Trigger, r.State, r.Attempt, r.Commit)
		for _, line := range []struct{ label, value string }{
			{"head", r.Head}, {"pull request", r.PullRequest}, {"coalesced into", r.CoalescedInto},
		} {
			if line.value != "" {
				fmt.Fprintf(w, "%s\t%s\n", line.label, line.value)
			}
		}
		if r.ValidateOnly {
			fmt.Fprintln(w, "validate only\tyes")
		}
		for _, s := range r.Stages {
			fmt.Fprintf(w, "stage %s\t%d ms\n", s.Name, s.DurationMS)
		}
		c := r.Counts
		fmt.Fprintf(w, "files processed\t%d\nresources created\t%d\nresources updated\t%d\nresources unchanged\t%d\nfiles unmanaged\t%d\nfiles rejected\t%d\n",
			c.FilesProcessed, c.ResourcesCreated, c.ResourcesUpdated, c.ResourcesUnchanged, c.FilesUnmanaged, c.FilesRejected)
	})
	if err != nil || out != outputTable {
		return err
	}
	for _, i := range r.Errors {
		fmt.Fprintln(e.stderr, i.String())
	}
	for _, i := range r.Warnings {
		fmt.Fprintln(e.stderr, "warning: "+i.String())
	}
	return nil
}
