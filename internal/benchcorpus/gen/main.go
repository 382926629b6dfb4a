// Command gen writes the ingestion benchmark corpus into a folder, for
// measuring fgdctl ingest with /usr/bin/time -v.
package main

import (
	"fmt"
	"os"

	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	if err := benchcorpus.Write(os.Args[1], benchcorpus.Copies); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
