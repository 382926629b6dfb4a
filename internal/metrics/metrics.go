// Package metrics builds the Prometheus registry of one fgd-sync process:
// Go and process collectors, fgd_build_info, asynq's queue metrics read
// from Redis at every scrape, and the collectors the process's parts record
// into (circuit breakers, GitHub rate limits and, on a worker, the sync
// metrics). Every replica serves its own registry on /metrics; nothing is
// global, so two replicas in one test process stay apart.
package metrics

import (
	"fmt"
	"net/http"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/buildinfo/buildinfometrics"
	"github.com/githedgehog/fgd-sync/jobs"
)

// Options say what a registry reads.
type Options struct {
	// Redis is asynq's Redis. asynq's queue metrics (asynq_queue_size,
	// asynq_tasks_enqueued_total, ...) are read from it at every scrape,
	// so every replica reports the queues whichever worker ran the health
	// check. nil leaves them out.
	Redis redis.UniversalClient
	// Breakers tune the circuit breakers; the zero value takes
	// github.DefaultBreakerSettings.
	Breakers github.BreakerSettings
}

// Registry is one process's metrics. Hand Breakers to the git cache and
// the GitHub transport, and RateLimits to the GitHub credentials, so that
// what they record is served here.
type Registry struct {
	*prometheus.Registry
	// Breakers are this process's circuit breakers; their states are
	// fgd_circuit_breaker_state{host}.
	Breakers *github.Breakers
	// RateLimits record the GitHub rate limit this process's API calls see.
	RateLimits *github.RateLimits
}

// NewRegistry returns the registry of a process that runs no syncs (the
// webhook and admin server).
func NewRegistry(o Options) (*Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register the Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register the process collector: %w", err)
	}
	if err := buildinfometrics.Register(reg); err != nil {
		return nil, err
	}
	if o.Redis != nil {
		queues := scrapeTime{asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(o.Redis))}
		if err := reg.Register(queues); err != nil {
			return nil, fmt.Errorf("register asynq's queue metrics: %w", err)
		}
	}
	settings := o.Breakers
	if settings == (github.BreakerSettings{}) {
		settings = github.DefaultBreakerSettings
	}
	rl, err := github.NewRateLimits(reg)
	if err != nil {
		return nil, err
	}
	return &Registry{Registry: reg, Breakers: github.NewBreakers(settings, reg), RateLimits: rl}, nil
}

// WorkerRegistry is a worker's metrics: a Registry and the sync metrics.
type WorkerRegistry struct {
	*Registry
	// Syncs goes into jobs.SyncHandler.Metrics and jobs.Schedule.Metrics;
	// seed it at start with Syncs.SeedLastSuccess.
	Syncs *jobs.SyncMetrics
}

// NewWorkerRegistry returns a worker's registry.
func NewWorkerRegistry(o Options) (*WorkerRegistry, error) {
	r, err := NewRegistry(o)
	if err != nil {
		return nil, err
	}
	syncs, err := jobs.NewSyncMetrics(r.Registry)
	if err != nil {
		return nil, err
	}
	return &WorkerRegistry{Registry: r, Syncs: syncs}, nil
}

// Handler serves the registry in Prometheus' exposition format. A
// collector that fails leaves its series out of the scrape rather than
// failing it, so the process's other metrics still arrive. (With Redis
// down, asynq's collector logs the error and reports no queues.)
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// scrapeTime makes a collector unchecked: it describes nothing, so
// registering it does not collect. asynq's collector describes itself by
// collecting, which would read Redis at start-up and, with Redis down,
// register no descriptors at all.
type scrapeTime struct {
	prometheus.Collector
}

func (scrapeTime) Describe(chan<- *prometheus.Desc) {}
