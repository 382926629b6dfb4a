package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
)

// TypeHealth is the system health check: Redis latency and queue backlog.
const TypeHealth = "fgd:health"

// HealthInterval is how often the health check runs.
const HealthInterval = time.Minute

// FabricLister lists the registered fabrics.
type FabricLister interface {
	List(ctx context.Context) ([]fabrics.Fabric, error)
}

// Schedule is asynq's PeriodicTaskConfigProvider: a safety-net sync for
// every fabric at its sync_interval (GitHub never redelivers a missed
// webhook by itself), and the health check. The periodic task manager asks
// again every few seconds, so schedules follow the registry without a
// restart.
type Schedule struct {
	Fabrics  FabricLister
	TaskOpts []asynq.Option
	// Prune, when set, keeps this worker's clone cache to the registry
	// each time the schedule is read: at start and every refresh.
	Prune *CachePruner
	// Metrics, when set, gets each fabric's sync interval at every refresh.
	Metrics *SyncMetrics
}

// GetConfigs returns the current schedule.
func (s *Schedule) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := s.Fabrics.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list fabrics for the schedule: %w", err)
	}
	if s.Prune != nil {
		s.Prune.Prune(ctx, list)
	}
	s.Metrics.SetFabrics(list)
	health := asynq.NewTask(TypeHealth, nil, append([]asynq.Option{asynq.Queue(DefaultQueue), asynq.MaxRetry(0), asynq.Unique(HealthInterval)}, s.TaskOpts...)...)
	configs := []*asynq.PeriodicTaskConfig{{Cronspec: "@every " + HealthInterval.String(), Task: health}}
	for _, f := range list {
		if f.SyncInterval.Duration <= 0 {
			continue
		}
		task, err := NewScheduledSyncTask(f.Name, f.SyncInterval.Duration, s.TaskOpts...)
		if err != nil {
			return nil, err
		}
		configs = append(configs, &asynq.PeriodicTaskConfig{Cronspec: "@every " + f.SyncInterval.Duration.String(), Task: task})
	}
	return configs, nil
}

// QueueInspector is the part of asynq.Inspector the health check reads.
type QueueInspector interface {
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// Pinger checks Redis.
type Pinger interface {
	Ping(ctx context.Context) error
}

// HealthHandler runs the health check and exports what it finds.
type HealthHandler struct {
	Logger    *slog.Logger
	Redis     Pinger
	Inspector QueueInspector
	Queue     string

	latency prometheus.Gauge
	backlog *prometheus.GaugeVec
}

// NewHealthHandler registers the health metrics on reg.
func NewHealthHandler(log *slog.Logger, redis Pinger, insp QueueInspector, queue string, reg prometheus.Registerer) *HealthHandler {
	h := &HealthHandler{Logger: log, Redis: redis, Inspector: insp, Queue: queue,
		latency: prometheus.NewGauge(prometheus.GaugeOpts{Name: "fgd_redis_latency_seconds", Help: "Redis PING round trip at the last health check."}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fgd_queue_backlog", Help: "Tasks of the fgd queue by state at the last health check."}, []string{"state"}),
	}
	if reg != nil {
		reg.MustRegister(h.latency, h.backlog)
	}
	return h
}

// Health is what the check found.
type Health struct {
	RedisLatency time.Duration `json:"redis_latency"`
	Pending      int           `json:"pending"`
	Active       int           `json:"active"`
	Scheduled    int           `json:"scheduled"`
	Retry        int           `json:"retry"`
	Archived     int           `json:"archived"`
}

// HandleHealthTask measures and exports; its result is the Health JSON.
func (h *HealthHandler) HandleHealthTask(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	if err := h.Redis.Ping(ctx); err != nil {
		return fmt.Errorf("ping Redis: %w", err)
	}
	hl := Health{RedisLatency: time.Since(start)}
	h.latency.Set(hl.RedisLatency.Seconds())
	if info, err := h.Inspector.GetQueueInfo(h.Queue); err == nil {
		hl.Pending, hl.Active, hl.Scheduled, hl.Retry, hl.Archived = info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived
	}
	for state, n := range map[string]int{"pending": hl.Pending, "active": hl.Active, "scheduled": hl.Scheduled, "retry": hl.Retry, "archived": hl.Archived} {
		h.backlog.WithLabelValues(state).Set(float64(n))
	}
	if b, err := json.Marshal(hl); err == nil && t.ResultWriter() != nil {
		_, _ = t.ResultWriter().Write(b)
	}
	h.Logger.Debug("health check", "redis_latency_ms", hl.RedisLatency.Milliseconds(), "pending", hl.Pending, "retry", hl.Retry)
	return nil
}
