// Command worker is fgd-sync's asynq server: it consumes sync tasks from
// Redis. Run as many replicas as you like.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/service"
	"github.com/githedgehog/fgd-sync/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(config.RoleWorker, args, getenv)
	if errors.Is(err, config.ErrHelp) {
		config.PrintUsage(stderr, "worker")
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker: configuration error:", err)
		return 2
	}
	log := service.NewLogger(stdout, cfg.LogLevel)
	fabricList, err := service.LoadFabrics(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker: configuration error:", err)
		return 2
	}
	rdb, err := service.OpenRedis(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker: configuration error:", err)
		return 2
	}
	defer rdb.Close()
	sync, err := service.NewSyncHandler(cfg, rdb.Client, fabricList, log)
	if err != nil {
		fmt.Fprintln(stderr, "fgd-worker:", err)
		return 1
	}
	if err := worker.Run(ctx, worker.Options{Redis: rdb.Client, Concurrency: cfg.WorkerPoolSize, Logger: log, Sync: sync}); err != nil {
		log.Error("worker failed", "error", err)
		return 1
	}
	return 0
}
