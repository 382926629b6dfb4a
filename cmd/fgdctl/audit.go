package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
)

func newAuditCommand(e *env) *cobra.Command {
	var (
		cf     clientFlags
		fabric string
		limit  int
		out    output
	)
	cmd := &cobra.Command{
		Use:   "audit [--fabric FABRIC] [--limit N]",
		Short: "Show the audit log of mutating admin calls, newest first",
		Long: `audit shows the mutating admin calls (POST, PUT, DELETE) made with a valid token,
newest first: when, which token (by name, never its secret), the method and path, the
fabric, the token a token call created or revoked, the status, the FGD code of an error
and the request id. It needs an admin token.`,
		Example: `  fgdctl audit --fabric dc1 --limit 20
  fgdctl audit -o json`,
		Args: exactArgs(0, "no arguments; the fabric is --fabric"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > adminapi.MaxAuditLimit {
				return usageErrorf("--limit takes 1 to %d, not %d", adminapi.MaxAuditLimit, limit)
			}
			c, err := cf.client(e)
			if err != nil {
				return err
			}
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if fabric != "" {
				q.Set("fabric", fabric)
			}
			var log adminapi.AuditLog
			if err := c.do(cmd.Context(), http.MethodGet, pathOf("audit")+"?"+q.Encode(), nil, &log); err != nil {
				return err
			}
			return out.print(e.stdout, log, func(w io.Writer) {
				rows := make([][]string, 0, len(log.Entries))
				for _, a := range log.Entries {
					rows = append(rows, []string{a.Time.Format(time.RFC3339), a.Token, a.Method, a.Path, strconv.Itoa(a.Status),
						orDash(string(a.Code)), orDash(a.Fabric), orDash(a.Subject), orDash(a.RequestID)})
				}
				writeRows(w, "TIME\tTOKEN\tMETHOD\tPATH\tSTATUS\tCODE\tFABRIC\tSUBJECT\tREQUEST", rows)
			})
		},
	}
	cf.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&fabric, "fabric", "", "only the calls that concern this fabric")
	fl.IntVar(&limit, "limit", adminapi.DefaultAuditLimit, fmt.Sprintf("how many, newest first (1 to %d)", adminapi.MaxAuditLimit))
	_ = cmd.RegisterFlagCompletionFunc("fabric", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return cf.completeFabricNames(e)(cmd, nil, toComplete)
	})
	addOutputFlag(cmd, &out)
	return cmd
}
