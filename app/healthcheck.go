package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/githedgehog/fgd-sync/config"
)

// HealthCheckCommand is the argument that makes a binary probe the running
// process instead of starting one: `fgd-worker healthcheck`.
const HealthCheckCommand = "healthcheck"

// HealthCheck asks the process of role running on this host whether it is
// healthy, for container health checks in an image with no shell or curl:
// the webhook's /readyz on cfg.ListenAddr, the worker's /healthz on
// cfg.WorkerMetricsAddr, both read from the same variables and flags as the
// process itself. It returns 0 when healthy, 1 when not, 2 on bad
// configuration, and prints one line on failure.
func HealthCheck(ctx context.Context, role config.Role, program string, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Load(role, args, getenv)
	if err != nil && !errors.Is(err, config.ErrHelp) {
		fmt.Fprintf(stderr, "%s %s: configuration error: %v\n", program, HealthCheckCommand, err)
		return 2
	}
	addr, path := cfg.ListenAddr, "/readyz"
	if role == config.RoleWorker {
		addr, path = cfg.WorkerMetricsAddr, "/healthz"
		if addr == "" {
			fmt.Fprintf(stderr, "%s %s: %s is empty: the worker serves no health endpoint\n", program, HealthCheckCommand, config.VarWorkerMetricsAddr)
			return 2
		}
	}
	url := "http://" + loopback(addr) + path
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", program, HealthCheckCommand, err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "%s %s: %s: %v\n", program, HealthCheckCommand, url, err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "%s %s: %s answered %d\n", program, HealthCheckCommand, url, resp.StatusCode)
		return 1
	}
	return 0
}

// loopback turns a listen address such as ":8080" or "0.0.0.0:8080" into one
// to dial on this host.
func loopback(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
