// Command fgdctl is fgd-sync's command-line tool: offline ingest, validate
// and init of an FGD folder, and a client of the admin API.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: fgdctl <command> [arguments]

commands:
  ingest DIR      apply the ingestion rules to a local FGD folder
  validate FILE…  check raw YAML files the way ingestion would
  init DIR        create the FGD structure
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	fmt.Fprintf(stderr, "fgdctl: unknown command %q\n\n%s", args[0], usage)
	return 2
}
