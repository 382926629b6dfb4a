package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/store"
)

// DefaultScheduleRefresh is how often the worker re-reads the schedule from
// the registry, so that a new or changed sync_interval needs no restart.
const DefaultScheduleRefresh = 5 * time.Second

// DefaultOrphanRescue is how often the worker looks for orphaned syncs
// (jobs.SyncHandler.RescueOrphans).
const DefaultOrphanRescue = 10 * time.Second

// Worker is fgd-sync's asynq server: the sync, init, cleanup and health
// tasks, the periodic schedule, and /healthz and /metrics on
// cfg.WorkerMetricsAddr. Run it on as many replicas as you like.
type Worker struct {
	// ScheduleRefresh is how often the schedule is re-read;
	// DefaultScheduleRefresh when zero. Tests shorten it.
	ScheduleRefresh time.Duration
	// OrphanRescue is how often orphaned syncs are looked for;
	// DefaultOrphanRescue when zero.
	OrphanRescue time.Duration

	p       *Process
	log     *slog.Logger
	sync    *jobs.SyncHandler
	health  *jobs.HealthHandler
	metrics *Metrics
	ln      net.Listener // the health and metrics listener; nil for none
	serving atomic.Bool  // /healthz answers 200 while tasks are being taken

	closeQueue func() // the follow-ups' queue, closed when Run returns
}

// NewWorker wires a worker on p, its metrics on metrics. It listens on
// cfg.WorkerMetricsAddr at once, so that a busy port is a start-up error.
func NewWorker(p *Process, metrics *Metrics) (*Worker, error) {
	if err := metrics.CollectQueues(p.Redis.Client); err != nil {
		return nil, err
	}
	queue, _, closeQueue := p.enqueuer()
	sync, err := newSyncHandler(p, metrics, queue)
	if err != nil {
		closeQueue()
		return nil, err
	}
	w := &Worker{
		p: p, log: p.Log, sync: sync, metrics: metrics, closeQueue: closeQueue,
		health: jobs.NewHealthHandler(p.Log, pinger{p.Redis}, asynq.NewInspectorFromRedisClient(p.Redis.Client), jobs.DefaultQueue, metrics.Registry.Registry),
	}
	if addr := p.Config.WorkerMetricsAddr; addr != "" {
		if w.ln, err = net.Listen("tcp", addr); err != nil {
			closeQueue()
			return nil, &config.Error{Var: config.VarWorkerMetricsAddr, Msg: fmt.Sprintf("cannot listen on %s: %v", addr, err)}
		}
	}
	return w, nil
}

// NewEmbeddedWorker is the worker inside the webhook process of make run:
// it logs as "embedded-worker" and serves no HTTP of its own (the webhook
// server has /healthz and /metrics).
func NewEmbeddedWorker(p *Process, metrics *Metrics) (*Worker, error) {
	inner := *p
	inner.Log = p.Log.With("process", "embedded-worker")
	inner.Config.WorkerMetricsAddr = ""
	return NewWorker(&inner, metrics)
}

// HealthAddr is where /healthz and /metrics are served, or "" when nowhere.
func (w *Worker) HealthAddr() string {
	if w.ln == nil {
		return ""
	}
	return w.ln.Addr().String()
}

// Run serves tasks until ctx is cancelled (SIGTERM), then stops taking
// tasks and gives the running ones cfg.ShutdownTimeout to finish; asynq puts
// the unfinished ones back in the queue for another worker.
func (w *Worker) Run(ctx context.Context) error {
	if w.ln != nil {
		defer w.ln.Close() // already closed when serveHealth ran; not when start-up failed
	}
	defer w.closeQueue()
	cfg := w.p.Config
	shutdown := cfg.ShutdownTimeout
	if shutdown <= 0 {
		shutdown = config.DefaultShutdownTimeout
	}
	srv := asynq.NewServerFromRedisClient(w.p.Redis.Client, asynq.Config{
		Concurrency:     cfg.WorkerPoolSize,
		Queues:          map[string]int{jobs.DefaultQueue: 1},
		Logger:          asynqLogger{w.log},
		ShutdownTimeout: shutdown,
		RetryDelayFunc:  jobs.RetryDelay,
		// asynq polls an empty queue every TaskCheckInterval: the default
		// second would be most of a sync's latency.
		TaskCheckInterval: 100 * time.Millisecond,
		IsFailure:         jobs.IsFailure,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			if jobs.IsFailure(err) {
				w.log.Warn("task attempt failed", "type", t.Type(), "task_id", id, "error", err)
			}
		}),
	})
	if err := srv.Start(w.mux()); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	mgr, err := w.startScheduler()
	if err != nil {
		srv.Shutdown()
		return err
	}
	stopHTTP := w.serveHealth()
	go w.seedMetrics(ctx)
	rescueDone := w.rescueOrphans(ctx)
	w.serving.Store(true)
	w.log.Info("worker started", "concurrency", cfg.WorkerPoolSize, "redis", w.p.Redis.Conn.String(),
		"shutdown_timeout", shutdown.String(), "health_addr", w.HealthAddr())

	<-ctx.Done()
	w.serving.Store(false)
	w.log.Info("worker shutting down: no new tasks; running ones get the shutdown timeout", "shutdown_timeout", shutdown.String())
	start := time.Now()
	mgr.Shutdown()
	srv.Shutdown()
	<-rescueDone
	stopHTTP()
	w.log.Info("worker stopped", "shutdown_seconds", time.Since(start).Seconds())
	return nil
}

// rescueOrphans hands orphaned syncs to follow-ups every OrphanRescue until
// ctx ends; the channel closes when it has stopped.
func (w *Worker) rescueOrphans(ctx context.Context) <-chan struct{} {
	every := w.OrphanRescue
	if every <= 0 {
		every = DefaultOrphanRescue
	}
	done := make(chan struct{})
	insp := asynq.NewInspectorFromRedisClient(w.p.Redis.Client)
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n, err := w.sync.RescueOrphans(ctx, insp)
			if err != nil {
				w.log.Warn("could not look for orphaned syncs", "error", err)
			}
			if n > 0 {
				w.log.Info("orphaned syncs handed to follow-ups", "count", n)
			}
		}
	}()
	return done
}

func (w *Worker) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeSync, w.sync.HandleSyncTask)
	mux.HandleFunc(jobs.TypeInit, w.sync.HandleSyncTask)
	mux.HandleFunc(jobs.TypeCleanup, w.sync.Cleanup().HandleCleanupTask)
	mux.HandleFunc(jobs.TypeHealth, w.health.HandleHealthTask)
	return mux
}

// startScheduler starts asynq's periodic task manager on a connection of its
// own (it closes it on shutdown), built from the same parse of the URL.
func (w *Worker) startScheduler() (*asynq.PeriodicTaskManager, error) {
	refresh := w.ScheduleRefresh
	if refresh <= 0 {
		refresh = DefaultScheduleRefresh
	}
	mgr, err := asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		PeriodicTaskConfigProvider: &jobs.Schedule{Fabrics: w.p.Registry, Prune: w.sync.CachePruner(), Metrics: w.metrics.Syncs},
		RedisConnOpt:               w.p.Redis.Conn.AsynqConnOpt(),
		SyncInterval:               refresh,
		SchedulerOpts:              &asynq.SchedulerOpts{Logger: asynqLogger{w.log.With("role", "scheduler")}},
	})
	if err != nil {
		return nil, fmt.Errorf("periodic tasks: %w", err)
	}
	if err := mgr.Start(); err != nil {
		return nil, fmt.Errorf("start periodic tasks: %w", err)
	}
	return mgr, nil
}

// serveHealth serves /healthz (and /metrics when enabled) on the worker's
// listener, and returns what stops it.
func (w *Worker) serveHealth() func() {
	if w.ln == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if !w.serving.Load() {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = rw.Write([]byte(`{"status":"stopping"}` + "\n"))
			return
		}
		_, _ = rw.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	if w.p.Config.MetricsEnabled {
		mux.Handle("GET /metrics", w.metrics.Handler())
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(w.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("worker health server stopped", "error", err)
		}
	}()
	return func() { _ = srv.Close(); <-done }
}

// pinger pings the process's Redis.
type pinger struct{ r *Redis }

func (p pinger) Ping(ctx context.Context) error { return p.r.Client.Ping(ctx).Err() }

// asynqLogger lets asynq log through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}

// seedMetrics sets the last-success gauges from the stored records, so a
// restart does not hide a fabric that stopped syncing before it. Redis may
// be down at start-up: it tries again every 2 s until it succeeds or the
// worker stops.
func (w *Worker) seedMetrics(ctx context.Context) {
	records := store.New(w.p.Redis.Client, "")
	for {
		err := w.metrics.Syncs.SeedLastSuccess(ctx, w.p.Registry, records)
		if err == nil {
			return
		}
		w.log.Warn("sync metrics not yet seeded from the records; retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}
