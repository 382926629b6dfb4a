// Command printbuild prints buildinfo.Get as JSON; the buildinfo tests
// build it with and without -ldflags -X.
package main

import (
	"encoding/json"
	"os"

	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

func main() {
	if err := json.NewEncoder(os.Stdout).Encode(buildinfo.Get()); err != nil {
		os.Exit(1)
	}
}
