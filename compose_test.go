package fgdsync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
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
	for _, name := range []string{"webhook", "worker"} {
		s := p.Services[name]
		env := s.Environment
		if v := env["HEDGEHOG_FGD_REDIS_URL"]; v == nil || !strings.HasPrefix(*v, "redis://redis:") {
			t.Errorf("%s does not point at the redis service", name)
		}
		for k, v := range env {
			if strings.HasSuffix(k, "_SECRET") || strings.HasSuffix(k, "_TOKEN") {
				t.Errorf("%s sets secret %s=%v inline; secrets must come from files", name, k, v)
			}
		}
		if env["HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET_FILE"] == nil || env["HEDGEHOG_FGD_ADMIN_TOKEN_FILE"] == nil {
			t.Errorf("%s does not read its secrets from files", name)
		}
		if len(s.Secrets) == 0 {
			t.Errorf("%s mounts no secrets", name)
		}
	}
}
