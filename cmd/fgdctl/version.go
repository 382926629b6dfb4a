package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

func newVersionCommand(e *env) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print fgdctl's version, commit and Go version",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(_ *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			return out.print(e.stdout, info, func(w io.Writer) {
				fmt.Fprintf(w, "version\t%s\ncommit\t%s\ngo\t%s\n", info.Version, info.Commit, info.Go)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}
