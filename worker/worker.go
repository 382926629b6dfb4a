// Package worker runs the asynq server that consumes fgd-sync's tasks. It is
// shared by cmd/worker and by cmd/webhook's embedded development mode.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/jobs"
)

// Options configure the server.
type Options struct {
	Redis       redis.UniversalClient
	Concurrency int
	// Queues maps queue names to priorities; {jobs.DefaultQueue: 1} when nil.
	Queues          map[string]int
	Logger          *slog.Logger
	ShutdownTimeout time.Duration // how long running tasks get on SIGTERM; 30s when zero
	Sync            *jobs.SyncHandler
	Health          *jobs.HealthHandler // nil: no health task handler
	Schedule        *jobs.Schedule      // nil: no periodic tasks
	// ScheduleRefresh is how often the schedule is re-read from the
	// registry; 5s when zero.
	ScheduleRefresh time.Duration
	// SchedulerConn gives the scheduler a connection of its own, which it
	// closes on shutdown; nil shares Redis (and asynq then logs an error
	// at shutdown, as it refuses to close a shared client).
	SchedulerConn asynq.RedisConnOpt
}

// Run serves tasks until ctx is cancelled, then shuts down gracefully:
// running tasks get ShutdownTimeout to finish, and unfinished ones go back to
// the queue for another worker.
func Run(ctx context.Context, o Options) error {
	if o.Queues == nil {
		o.Queues = map[string]int{jobs.DefaultQueue: 1}
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	srv := asynq.NewServerFromRedisClient(o.Redis, asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          o.Queues,
		Logger:          slogAdapter{o.Logger},
		ShutdownTimeout: o.ShutdownTimeout,
		RetryDelayFunc:  jobs.RetryDelay,
		// asynq polls an empty queue every TaskCheckInterval: the default
		// second would be most of a sync's latency.
		TaskCheckInterval: 100 * time.Millisecond,
		IsFailure:         jobs.IsFailure,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			if jobs.IsFailure(err) {
				o.Logger.Warn("task attempt failed", "type", t.Type(), "task_id", id, "error", err)
			}
		}),
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeSync, o.Sync.HandleSyncTask)
	mux.HandleFunc(jobs.TypeInit, o.Sync.HandleSyncTask)
	mux.HandleFunc(jobs.TypeCleanup, o.Sync.Cleanup().HandleCleanupTask)
	if o.Health != nil {
		mux.HandleFunc(jobs.TypeHealth, o.Health.HandleHealthTask)
	}

	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	var mgr *asynq.PeriodicTaskManager
	if o.Schedule != nil {
		refresh := o.ScheduleRefresh
		if refresh == 0 {
			refresh = 5 * time.Second
		}
		var err error
		opts := asynq.PeriodicTaskManagerOpts{
			PeriodicTaskConfigProvider: o.Schedule,
			RedisConnOpt:               o.SchedulerConn,
			SyncInterval:               refresh,
			SchedulerOpts:              &asynq.SchedulerOpts{Logger: slogAdapter{o.Logger.With("role", "scheduler")}},
		}
		if o.SchedulerConn == nil {
			opts.RedisUniversalClient = o.Redis
		}
		mgr, err = asynq.NewPeriodicTaskManager(opts)
		if err != nil {
			srv.Shutdown()
			return fmt.Errorf("periodic tasks: %w", err)
		}
		if err := mgr.Start(); err != nil {
			srv.Shutdown()
			return fmt.Errorf("start periodic tasks: %w", err)
		}
	}
	o.Logger.Info("worker started", "concurrency", o.Concurrency, "queues", fmt.Sprint(o.Queues), "scheduler", mgr != nil)
	<-ctx.Done()
	o.Logger.Info("worker shutting down")
	if mgr != nil {
		mgr.Shutdown()
	}
	srv.Shutdown()
	return nil
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
