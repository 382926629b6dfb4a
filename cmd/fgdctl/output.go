package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// output is the -o flag of every read command.
type output string

const (
	outputTable output = "table"
	outputJSON  output = "json"
	outputYAML  output = "yaml"
)

var outputs = []string{string(outputTable), string(outputJSON), string(outputYAML)}

// String, Set and Type make output a pflag.Value, so a bad -o is a flag
// error (exit 2) before anything runs.
func (o *output) String() string { return string(*o) }

func (o *output) Set(s string) error {
	for _, v := range outputs {
		if s == v {
			*o = output(s)
			return nil
		}
	}
	return fmt.Errorf("takes %s, not %q", strings.Join(outputs, ", "), s)
}

func (o *output) Type() string { return "format" }

// addOutputFlag registers -o on cmd, with table as its default.
func addOutputFlag(cmd *cobra.Command, o *output) {
	*o = outputTable
	cmd.Flags().VarP(o, "output", "o", "output format: "+strings.Join(outputs, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputs, cobra.ShellCompDirectiveNoFileComp))
}

// print writes v as JSON or YAML, or calls table for a table.
func (o output) print(w io.Writer, v any, table func(w io.Writer)) error {
	switch o {
	case outputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case outputYAML:
		// sigs.k8s.io/yaml goes through the JSON tags, so YAML has JSON's keys.
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		table(tw)
		return tw.Flush()
	}
}

// writeRows writes a header and rows, tab-separated, for a tabwriter.
func writeRows(w io.Writer, header string, rows [][]string) {
	fmt.Fprintln(w, header)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
}

// shortCommit shortens a commit id for a table.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
