// Command worker is fgd-sync's asynq server: it consumes sync tasks from
// Redis. Run as many replicas as you like.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/service"
	"github.com/githedgehog/fgd-sync/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	proc, code := service.Boot(config.RoleWorker, "fgd-worker", args, getenv, stdout, stderr)
	if proc == nil {
		return code
	}
	cfg, log, fabricList, rdb := proc.Config, proc.Log, proc.Fabrics, proc.Redis
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	fabricRegistry := registry.New(rdb.Client, "")
	service.UpsertFabrics(ctx, fabricRegistry, fabricList, log)
	connOpt, err := service.RedisConnOpt(cfg, rdb)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker: configuration error:", err)
		return 2
	}
	opts, err := service.Worker(cfg, rdb.Client, connOpt, fabricRegistry, log, reg)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker:", err)
		return service.ExitCode(err)
	}
	if cfg.WorkerMetricsAddr != "" && cfg.MetricsEnabled {
		ln, err := net.Listen("tcp", cfg.WorkerMetricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "fgd-worker: %s: cannot listen on %s: %v\n", config.VarWorkerMetricsAddr, cfg.WorkerMetricsAddr, err)
			return 2
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("worker metrics listening", "addr", ln.Addr().String())
	}
	if err := worker.Run(ctx, opts); err != nil {
		log.Error("worker failed", "error", err)
		return 1
	}
	return 0
}
