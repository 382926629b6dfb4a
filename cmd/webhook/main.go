// Command webhook is fgd-sync's HTTP server: the GitHub webhook receiver,
// health, readiness and metrics. With no HEDGEHOG_FGD_REDIS_URL it runs on an
// embedded in-memory Redis with a worker inside, for development.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/handlers"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/service"
	"github.com/githedgehog/fgd-sync/store"
	"github.com/githedgehog/fgd-sync/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	proc, code := service.Boot(config.RoleWebhook, "fgd-webhook", args, getenv, stdout, stderr)
	if proc == nil {
		return code
	}
	cfg, log, fabricList, rdb := proc.Config, proc.Log, proc.Fabrics, proc.Redis
	defer rdb.Close()

	if cfg.Embedded() {
		if err := fillDevCredentials(&cfg, stderr); err != nil {
			fmt.Fprintln(stderr, "fgd-webhook:", err)
			return 1
		}
		log.Warn("RUNNING ON THE EMBEDDED IN-MEMORY REDIS: queued jobs, fabrics and sync records do not survive a restart. "+
			"Set "+config.VarRedisURL+" in production.", "embedded_redis", "redis://"+rdb.Embedded.Addr())
	}
	fabricRegistry := registry.New(rdb.Client, "")
	service.UpsertFabrics(ctx, fabricRegistry, fabricList, log)
	st := store.New(rdb.Client, "")
	pinger := handlers.RedisPinger(func(ctx context.Context) error { return rdb.Client.Ping(ctx).Err() })
	connOpt, err := service.RedisConnOpt(cfg, rdb)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-webhook: configuration error:", err)
		return 2
	}
	monitoring := asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: connOpt, ReadOnly: cfg.DashboardReadOnly})
	defer monitoring.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	queue := asynq.NewClientFromRedisClient(rdb.Client)

	secrets := make([][]byte, len(cfg.WebhookSecrets))
	for i, s := range cfg.WebhookSecrets {
		secrets[i] = []byte(s.Reveal())
	}
	rc := handlers.RouterConfig{
		Webhook: &handlers.WebhookHandler{
			Secrets: secrets,
			Fabrics: fabricRegistry,
			Queue:   queue,
			Metrics: handlers.NewMetrics(reg),
			Logger:  log,
		},
		Redis:  pinger,
		Logger: log,
		Admin: (&handlers.AdminAPI{
			Token: []byte(cfg.AdminToken.Reveal()), Registry: fabricRegistry, Records: st, Queue: queue,
			Inspector: asynq.NewInspectorFromRedisClient(rdb.Client), Redis: pinger, Logger: log.With("component", "admin"),
		}).Routes(),
		Monitoring: handlers.BasicAuth([]byte(cfg.AdminToken.Reveal()), monitoring),
	}
	if cfg.MetricsEnabled {
		rc.Gatherer = reg
	}

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		fmt.Fprintf(stderr, "fgd-webhook: %s: cannot listen on %s: %v\n", config.VarListenAddr, cfg.ListenAddr, err)
		return 2
	}
	srv := &http.Server{
		Handler:           handlers.NewRouter(rc),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	workerDone := make(chan error, 1)
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	if cfg.Embedded() {
		wopts, err := service.Worker(cfg, rdb.Client, connOpt, fabricRegistry, log.With("process", "embedded-worker"), reg)
		if err != nil {
			fmt.Fprintln(stderr, "fgd-webhook:", err)
			return service.ExitCode(err)
		}
		go func() { workerDone <- worker.Run(workerCtx, wopts) }()
	} else {
		workerDone <- nil
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	base := "http://" + displayAddr(ln.Addr())
	log.Info("webhook server listening", "addr", ln.Addr().String(),
		"webhook_url", base+"/webhooks/github", "health_url", base+"/healthz", "metrics_enabled", cfg.MetricsEnabled)
	if cfg.Embedded() {
		fmt.Fprintf(stderr, "\nfgd-sync is running (development mode)\n  webhook:   %s/webhooks/github\n  admin API: %s/api/v1/fabrics\n  dashboard: %s/monitoring/\n  health:    %s/healthz\n  ready:     %s/readyz\n  metrics:   %s/metrics\n\n",
			base, base, base, base, base, base)
	}

	select {
	case err := <-serveErr:
		log.Error("webhook server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown incomplete", "error", err)
	}
	stopWorker()
	if err := <-workerDone; err != nil {
		log.Error("embedded worker failed", "error", err)
	}
	return 0
}

// fillDevCredentials generates the webhook secret and admin token that
// development mode needs and were not given, and shows them on the terminal
// (not in the structured log).
func fillDevCredentials(cfg *config.Config, terminal io.Writer) error {
	if len(cfg.WebhookSecrets) == 0 {
		s, err := service.RandomToken()
		if err != nil {
			return err
		}
		cfg.WebhookSecrets = []config.Secret{config.Secret(s)}
		fmt.Fprintf(terminal, "generated webhook secret (development only): %s\n", s)
	}
	if cfg.AdminToken == "" {
		s, err := service.RandomToken()
		if err != nil {
			return err
		}
		cfg.AdminToken = config.Secret(s)
		fmt.Fprintf(terminal, "generated admin token (development only):    %s\n", s)
	}
	return nil
}

// displayAddr turns ":8080" into "localhost:8080" for printed URLs.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
