package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
)

func newHealthCommand(e *env) *cobra.Command {
	var (
		cf  clientFlags
		out output
	)
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Show Redis, the queue backlog and the workers seen",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := call[adminapi.Health](cmd, e, &cf, http.MethodGet, pathOf("health"), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, h, func(w io.Writer) {
				fmt.Fprintf(w, "redis\t%s (%.2f ms)\n", h.Redis, h.RedisLatencyMS)
				for _, k := range []string{"pending", "active", "scheduled", "retry", "archived"} {
					fmt.Fprintf(w, "queue %s\t%d\n", k, h.Queue[k])
				}
				fmt.Fprintf(w, "workers\t%d\n", len(h.Workers))
				for _, wk := range h.Workers {
					fmt.Fprintf(w, "  %s pid %d\t%s, %d active of %d\n", wk.Host, wk.PID, wk.Status, wk.Active, wk.Concurrency)
				}
			})
		},
	}
	cf.register(cmd.Flags())
	addOutputFlag(cmd, &out)
	return cmd
}
