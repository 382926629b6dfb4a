// Package buildinfometrics exports the running build as a Prometheus
// metric. It is apart from buildinfo so that fgdctl, which prints the build
// but serves no metrics, does not link Prometheus.
package buildinfometrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/internal/buildinfo"
)

// Register exports the build as the gauge fgd_build_info{version,commit,go}
// = 1 on reg, the usual Prometheus way to join a build to other series.
func Register(reg prometheus.Registerer) error {
	return register(reg, buildinfo.Get())
}

func register(reg prometheus.Registerer, info buildinfo.Info) error {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "fgd_build_info",
		Help:        "The running build of fgd-sync; always 1.",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "go": info.Go},
	})
	g.Set(1)
	if err := reg.Register(g); err != nil {
		return fmt.Errorf("register fgd_build_info: %w", err)
	}
	return nil
}
