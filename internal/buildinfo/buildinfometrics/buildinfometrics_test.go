package buildinfometrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

func TestRegister(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	info := buildinfo.Info{Version: "v1.2.3", Commit: "0a1b2c3", Go: "go1.26.8"}
	if err := register(reg, info); err != nil {
		t.Fatal(err)
	}
	want := `# HELP fgd_build_info The running build of fgd-sync; always 1.
# TYPE fgd_build_info gauge
fgd_build_info{commit="0a1b2c3",go="go1.26.8",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_build_info"); err != nil {
		t.Fatal(err)
	}
	// A second registration on the same registry is a wiring mistake the
	// caller must hear about.
	if err := register(reg, info); err == nil {
		t.Fatal("registering fgd_build_info twice did not fail")
	}
	// Register uses this binary's own build.
	own := prometheus.NewPedanticRegistry()
	if err := Register(own); err != nil {
		t.Fatal(err)
	}
	b := buildinfo.Get()
	want = `# HELP fgd_build_info The running build of fgd-sync; always 1.
# TYPE fgd_build_info gauge
fgd_build_info{commit="` + b.Commit + `",go="` + b.Go + `",version="` + b.Version + `"} 1
`
	if err := testutil.GatherAndCompare(own, strings.NewReader(want), "fgd_build_info"); err != nil {
		t.Fatal(err)
	}
}
