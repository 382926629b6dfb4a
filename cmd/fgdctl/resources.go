package main

import (
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
)

func newResourcesCommand(e *env) *cobra.Command {
	var (
		cf   clientFlags
		kind string
		out  output
	)
	cmd := &cobra.Command{
		Use:   "resources FABRIC",
		Short: "List a fabric's managed resources as of its last sync",
		Long: `resources lists the inventory of FABRIC as of its last successful sync: kind,
namespace, name, path and commit in a table; with -o json|yaml also apiVersion, labels,
annotations and the normalized spec.`,
		Args:              exactArgs(1, "one fabric name"),
		ValidArgsFunction: cf.completeFabricNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(e)
			if err != nil {
				return err
			}
			p := pathOf("fabrics", args[0], "resources")
			if kind != "" {
				p += "?kind=" + url.QueryEscape(kind)
			}
			var list adminapi.ResourceList
			if err := c.do(cmd.Context(), http.MethodGet, p, nil, &list); err != nil {
				return err
			}
			return out.print(e.stdout, list, func(w io.Writer) {
				rows := make([][]string, 0, len(list.Resources))
				for _, r := range list.Resources {
					rows = append(rows, []string{r.Kind, r.Namespace, r.Name, r.Path, shortCommit(r.Commit)})
				}
				writeRows(w, "KIND\tNAMESPACE\tNAME\tPATH\tCOMMIT", rows)
			})
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind, such as VPC")
	addOutputFlag(cmd, &out)
	return cmd
}
