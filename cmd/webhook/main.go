// Command webhook is fgd-sync's HTTP server: the GitHub webhook receiver,
// the admin API, the dashboard, health, readiness and metrics. With no
// HEDGEHOG_FGD_REDIS_URL it runs on an embedded in-memory Redis with a worker
// inside, for development. `fgd-webhook healthcheck` probes a running one.
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

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
)

const program = "fgd-webhook"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == app.HealthCheckCommand {
		return app.HealthCheck(ctx, config.RoleWebhook, program, args[1:], getenv, stderr)
	}
	proc, code := app.Boot(ctx, config.RoleWebhook, program, args, getenv, stdout, stderr)
	if proc == nil {
		return code
	}
	defer proc.Close()
	cfg, log := proc.Config, proc.Log
	if cfg.Embedded() {
		log.Warn("RUNNING ON THE EMBEDDED IN-MEMORY REDIS: queued jobs, fabrics and sync records do not survive a restart. "+
			"Set "+config.VarRedisURL+" in production.", "embedded_redis", "redis://"+proc.Redis.Embedded.Addr())
	}
	metrics := app.NewMetrics()
	webhook, err := app.NewWebhook(proc, metrics)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return app.ExitCode(err)
	}
	defer webhook.Close()

	servers, err := listen(cfg, webhook, log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 2
	}
	var embedded *app.Worker
	if cfg.Embedded() {
		if embedded, err = app.NewEmbeddedWorker(proc, metrics); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return app.ExitCode(err)
		}
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	workerDone := make(chan error, 1)
	if embedded != nil {
		go func() { workerDone <- embedded.Run(workerCtx) }()
	} else {
		workerDone <- nil
	}

	serveErr := make(chan error, len(servers))
	for _, s := range servers {
		go func() { serveErr <- s.srv.Serve(s.ln) }()
	}
	base := "http://" + displayAddr(servers[0].ln.Addr())
	if cfg.Embedded() {
		fmt.Fprintf(stderr, "\nfgd-sync is running (development mode)\n  webhook:   %s/webhooks/github\n  admin API: %s/api/v1/fabrics\n  dashboard: %s/monitoring/\n  health:    %s/healthz\n  ready:     %s/readyz\n  metrics:   %s/metrics\n\n",
			base, base, base, base, base, base)
	}

	code = 0
	select {
	case err := <-serveErr:
		log.Error("webhook server stopped", "error", err)
		code = 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("http shutdown incomplete", "addr", s.ln.Addr().String(), "error", err)
		}
	}
	stopWorker()
	if err := <-workerDone; err != nil {
		log.Error("embedded worker failed", "error", err)
	}
	return code
}

// server is one listener and what it serves.
type server struct {
	ln  net.Listener
	srv *http.Server
}

// listen opens the public listener and, when configured, the admin one.
func listen(cfg config.Config, webhook *app.Webhook, log *slog.Logger) ([]server, error) {
	type want struct {
		name, variable, addr string
		handler              http.Handler
	}
	wants := []want{{"webhook server", config.VarListenAddr, cfg.ListenAddr, webhook.Handler()}}
	if h := webhook.AdminHandler(); h != nil {
		wants = append(wants, want{"admin server", config.VarAdminListenAddr, cfg.AdminListenAddr, h})
	}
	var out []server
	for _, w := range wants {
		ln, err := net.Listen("tcp", w.addr)
		if err != nil {
			for _, s := range out {
				_ = s.ln.Close()
			}
			return nil, &config.Error{Var: w.variable, Msg: fmt.Sprintf("cannot listen on %s: %v", w.addr, err)}
		}
		out = append(out, server{ln: ln, srv: &http.Server{
			Handler:           w.handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}})
		base := "http://" + displayAddr(ln.Addr())
		log.Info(w.name+" listening", "addr", ln.Addr().String(), "base_url", base, "metrics_enabled", cfg.MetricsEnabled)
	}
	return out, nil
}

// displayAddr turns ":8080" into "localhost:8080" for printed URLs.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
