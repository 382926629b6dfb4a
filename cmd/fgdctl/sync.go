package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/syncrecord"
)

// pollInterval is how often sync --wait asks for the record.
const pollInterval = 250 * time.Millisecond

func newSyncCommand(e *env) *cobra.Command {
	var (
		cf      clientFlags
		opts    adminapi.SyncOptions
		wait    bool
		waitFor time.Duration
		out     output
	)
	cmd := &cobra.Command{
		Use:   "sync FABRIC",
		Short: "Queue a sync of a fabric, and wait for it with --wait",
		Long: `sync queues a manual sync of FABRIC and prints its id. With --wait it waits for the
sync to end and prints its record.

Exit codes: 0 queued (with --wait: succeeded); 1 an API error, or with --wait a partial
or failed sync; 2 a usage error.`,
		Example: `  fgdctl sync dc1 --wait
  fgdctl sync dc1 --validate-only --wait -o json`,
		Args:              exactArgs(1, "one fabric name"),
		ValidArgsFunction: cf.completeFabricNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(e)
			if err != nil {
				return err
			}
			var accepted adminapi.SyncAccepted
			if err := c.do(cmd.Context(), http.MethodPost, pathOf("fabrics", args[0], "sync"), adminapi.SyncRequest{Options: opts}, &accepted); err != nil {
				return err
			}
			if !wait {
				return out.print(e.stdout, accepted, func(w io.Writer) { fmt.Fprintf(w, "sync %s queued\n", accepted.SyncID) })
			}
			fmt.Fprintf(e.stderr, "sync %s queued; waiting\n", accepted.SyncID)
			rec, err := waitForRecord(cmd.Context(), c, accepted.SyncID, waitFor)
			if err != nil {
				return err
			}
			if err := printRecord(e, out, rec); err != nil {
				return err
			}
			if rec.State != syncrecord.StateSucceeded {
				return rejected()
			}
			return nil
		},
	}
	cf.register(cmd.Flags())
	fl := cmd.Flags()
	fl.BoolVar(&opts.ValidateOnly, "validate-only", false, "fetch and ingest only; change nothing")
	fl.BoolVar(&opts.ForceRefresh, "force-refresh", false, "drop the cached clone first")
	fl.IntVar(&opts.TimeoutSeconds, "timeout", 0, "sync timeout in seconds (0: the server's)")
	fl.BoolVar(&wait, "wait", false, "wait for the sync; exit 0 on succeeded, 1 on partial or failed")
	fl.DurationVar(&waitFor, "wait-timeout", 10*time.Minute, "how long --wait waits")
	addOutputFlag(cmd, &out)
	return cmd
}

// waitForRecord polls a sync's record until it ends or within passes.
func waitForRecord(ctx context.Context, c *client, id string, within time.Duration) (*syncrecord.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		var rec syncrecord.Record
		switch err := c.do(ctx, http.MethodGet, pathOf("syncs", id), nil, &rec); {
		case err != nil:
			lastErr = err // a restarting server, say: ask again
		case syncrecord.Terminal(rec.State):
			return &rec, nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("sync %s did not finish within %s; last error: %w", id, within, lastErr)
			}
			return nil, fmt.Errorf("sync %s did not finish within %s", id, within)
		case <-tick.C:
		}
	}
}
