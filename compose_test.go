package fgdsync_test

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/githedgehog/fgd-sync/config"
)

// TestComposeFile loads compose.yaml the way docker compose does (Docker
// cannot run here) and checks the production layout it promises.
func TestComposeFile(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithWorkingDirectory("."), cli.WithName("fgd-sync"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	redis, ok := p.Services["redis"]
	if !ok || !strings.HasPrefix(redis.Image, "redis:7") || !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") {
		t.Fatalf("redis service must be redis:7 with AOF on: %+v", redis.Command)
	}
	webhook, ok := p.Services["webhook"]
	if !ok || len(webhook.Ports) != 1 {
		t.Fatal("webhook service with one published port is missing")
	}
	worker, ok := p.Services["worker"]
	if !ok || worker.Deploy == nil || worker.Deploy.Replicas == nil || *worker.Deploy.Replicas != 2 {
		t.Fatal("worker service with two replicas is missing")
	}

	tests := []struct {
		service string
		secrets []string // exactly the secrets it mounts
		binary  string   // what its health check runs
		// minGrace is the shortest stop_grace_period that lets it stop
		// cleanly: the worker's running syncs get the shutdown timeout,
		// the webhook server's requests 15 s.
		minGrace time.Duration
	}{
		{"webhook", []string{"admin_token", "webhook_secret"}, "/usr/local/bin/fgd-webhook", 15 * time.Second},
		{"worker", []string{"github_token"}, "/usr/local/bin/fgd-worker", shutdownTimeout(t, worker)},
	}
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			s := p.Services[tc.service]
			env := s.Environment
			if v := env[config.VarRedisURL]; v == nil || !strings.HasPrefix(*v, "redis://redis:") {
				t.Errorf("does not point at the redis service")
			}
			var mounted, read []string
			for _, sec := range s.Secrets {
				mounted = append(mounted, sec.Source)
			}
			for k, v := range env {
				if strings.HasSuffix(k, "_SECRET") || strings.HasSuffix(k, "_TOKEN") {
					t.Errorf("sets secret %s=%v inline; secrets must come from files", k, v)
				}
				if strings.HasSuffix(k, "_FILE") && v != nil && strings.HasPrefix(*v, "/run/secrets/") {
					read = append(read, path.Base(*v))
				}
			}
			slices.Sort(mounted)
			slices.Sort(read)
			if !slices.Equal(mounted, tc.secrets) || !slices.Equal(read, tc.secrets) {
				t.Errorf("mounts %v and reads %v, want exactly %v", mounted, read, tc.secrets)
			}
			if hc := s.HealthCheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", tc.binary, "healthcheck"}) {
				t.Errorf("health check %+v, want %s healthcheck", hc, tc.binary)
			}
			if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= tc.minGrace {
				t.Errorf("stop_grace_period %v, want more than %s", s.StopGracePeriod, tc.minGrace)
			}
		})
	}
}

// shutdownTimeout is the worker's HEDGEHOG_FGD_SHUTDOWN_TIMEOUT, or the
// default.
func shutdownTimeout(t *testing.T, s types.ServiceConfig) time.Duration {
	v := s.Environment[config.VarShutdownTimeout]
	if v == nil {
		return config.DefaultShutdownTimeout
	}
	d, err := time.ParseDuration(*v)
	if err != nil {
		t.Fatalf("%s=%s: %v", config.VarShutdownTimeout, *v, err)
	}
	return d
}
