package handlers

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook server's Prometheus metrics. They live on a
// registry handed in, never on the global default one.
type Metrics struct {
	deliveries     *prometheus.CounterVec
	enqueueLatency prometheus.Histogram
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fgd_webhook_deliveries_total",
			Help: "GitHub webhook deliveries by event and outcome.",
		}, []string{"event", "outcome"}),
		enqueueLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fgd_webhook_enqueue_duration_seconds",
			Help:    "Time to durably enqueue the sync tasks of one delivery.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	reg.MustRegister(m.deliveries, m.enqueueLatency)
	return m
}

// eventLabel bounds the event label: only GitHub's event names that
// fgd-sync expects get a label of their own.
func eventLabel(event string) string {
	switch event {
	case "push", "ping", "pull_request", "create", "delete", "installation", "check_run", "check_suite", "status":
		return event
	default:
		return "other"
	}
}

func (m *Metrics) delivery(event, outcome string) {
	m.deliveries.WithLabelValues(eventLabel(event), outcome).Inc()
}
