package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
)

func newSyncsCommand(e *env) *cobra.Command {
	var (
		cf    clientFlags
		limit int
		out   output
	)
	cmd := &cobra.Command{
		Use:               "syncs FABRIC",
		Short:             "List a fabric's sync records, newest first",
		Args:              exactArgs(1, "one fabric name"),
		ValidArgsFunction: cf.completeFabricNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 100 {
				return usageErrorf("--limit takes 1 to 100, not %d", limit)
			}
			list, err := call[adminapi.SyncList](cmd, e, &cf, http.MethodGet, pathOf("fabrics", args[0], "syncs")+"?limit="+strconv.Itoa(limit), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, list, func(w io.Writer) {
				rows := make([][]string, 0, len(list.Syncs))
				for _, r := range list.Syncs {
					rows = append(rows, []string{r.ID, r.CreatedAt.Format(time.RFC3339), r.Trigger, r.State, fmt.Sprint(r.Attempt), shortCommit(r.Commit)})
				}
				writeRows(w, "SYNC\tCREATED\tTRIGGER\tSTATE\tATTEMPT\tCOMMIT", rows)
			})
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().IntVar(&limit, "limit", 20, "how many, newest first (1 to 100)")
	addOutputFlag(cmd, &out)
	return cmd
}
