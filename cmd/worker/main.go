// Command worker is fgd-sync's asynq server: it consumes sync tasks from
// Redis, and serves /healthz and /metrics on HEDGEHOG_FGD_WORKER_METRICS_ADDR.
// Run as many replicas as you like. `fgd-worker healthcheck` probes a
// running one.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
)

const program = "fgd-worker"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code. Cancelling ctx
// is SIGTERM: no new tasks, and the running ones get
// HEDGEHOG_FGD_SHUTDOWN_TIMEOUT to finish before they go back to the queue.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == app.HealthCheckCommand {
		return app.HealthCheck(ctx, config.RoleWorker, program, args[1:], getenv, stderr)
	}
	proc, code := app.Boot(ctx, config.RoleWorker, program, args, getenv, stdout, stderr)
	if proc == nil {
		return code
	}
	defer proc.Close()
	w, err := app.NewWorker(proc, app.NewMetrics())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return app.ExitCode(err)
	}
	if err := w.Run(ctx); err != nil {
		proc.Log.Error("worker failed", "error", err)
		return 1
	}
	return 0
}
