package app_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// TestBoot: a bad start-up prints one line naming the variable, without a
// password, and exits 2; -h exits 0.
func TestBoot(t *testing.T) {
	tests := []struct {
		name   string
		role   config.Role
		args   []string
		env    map[string]string
		code   int
		naming string
	}{
		{"help", config.RoleWorker, []string{"-h"}, nil, 0, "usage"},
		{"worker without Redis", config.RoleWorker, nil, nil, 2, config.VarRedisURL},
		{"unknown Sentinel parameter", config.RoleWorker, nil, map[string]string{config.VarRedisURL: "redis-sentinel://:hunter2@s1:26379?master=m&sentinel_pass=x"}, 2, config.VarRedisURL},
		{"bad fabrics file", config.RoleWorker, nil, map[string]string{config.VarRedisURL: "redis://:hunter2@127.0.0.1:1", config.VarFabricsFile: writeTemp(t, "fabrics:\n  - name: BAD\n")}, 2, config.VarFabricsFile},
		{"webhook without secret", config.RoleWebhook, nil, map[string]string{config.VarRedisURL: "redis://:hunter2@127.0.0.1:1", config.VarAdminToken: "x"}, 2, config.VarWebhookSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			p, code := app.Boot(context.Background(), tc.role, "fgd-test", tc.args, func(k string) string { return tc.env[k] }, &stdout, &stderr)
			if p != nil {
				p.Close()
				t.Fatal("a process was opened")
			}
			msg := strings.TrimSpace(stderr.String())
			if code != tc.code || !strings.Contains(msg, tc.naming) || strings.Contains(msg+stdout.String(), "hunter2") {
				t.Fatalf("exit %d, stderr %q: want %d naming %s", code, msg, tc.code, tc.naming)
			}
			if tc.code == 2 && strings.Count(msg, "\n") != 0 {
				t.Fatalf("more than one line: %q", msg)
			}
		})
	}
}

// TestBootEmbedded: the webhook with no Redis URL runs on the embedded
// Redis and generates its credentials, shown on the terminal only.
func TestBootEmbedded(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p, code := app.Boot(context.Background(), config.RoleWebhook, "fgd-webhook", nil, func(string) string { return "" }, &stdout, &stderr)
	if p == nil {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	defer p.Close()
	secret, token := p.Config.WebhookSecrets[0].Reveal(), p.Config.AdminToken.Reveal()
	if p.Redis.Embedded == nil || len(secret) != 64 || len(token) != 64 {
		t.Fatalf("embedded %v, secret %d chars, token %d chars", p.Redis.Embedded, len(secret), len(token))
	}
	if !strings.Contains(stderr.String(), secret) || !strings.Contains(stderr.String(), token) {
		t.Fatal("the generated credentials are not shown on the terminal")
	}
	if strings.Contains(stdout.String(), secret) || strings.Contains(stdout.String(), token) {
		t.Fatal("a generated credential is in the structured log")
	}
	if err := p.Redis.Client.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestHealthCheck: `healthcheck` probes the process the same variables
// describe: 0 when it answers 200, 1 when it answers otherwise or not at all.
func TestHealthCheck(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	w := newWorld(t, rs.URL, "0")
	wk, stop := w.worker(nil)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed := freeAddr(t)

	tests := []struct {
		name string
		role config.Role
		env  map[string]string
		code int
	}{
		{"running worker", config.RoleWorker, map[string]string{config.VarWorkerMetricsAddr: wk.HealthAddr()}, 0},
		{"no worker", config.RoleWorker, map[string]string{config.VarWorkerMetricsAddr: closed}, 1},
		{"ready webhook", config.RoleWebhook, map[string]string{config.VarListenAddr: strings.TrimPrefix(healthy.URL, "http://")}, 0},
		{"ready webhook on every address", config.RoleWebhook, map[string]string{config.VarListenAddr: ":" + healthy.URL[strings.LastIndex(healthy.URL, ":")+1:]}, 0},
		{"unready webhook", config.RoleWebhook, map[string]string{config.VarListenAddr: strings.TrimPrefix(failing.URL, "http://")}, 1},
		{"bad configuration", config.RoleWebhook, map[string]string{config.VarListenAddr: "nonsense"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{config.VarRedisURL: rs.URL, config.VarWebhookSecret: "s", config.VarAdminToken: "t"}
			for k, v := range tc.env {
				env[k] = v
			}
			var stderr bytes.Buffer
			code := app.HealthCheck(context.Background(), tc.role, "fgd-test", nil, func(k string) string { return env[k] }, &stderr)
			if code != tc.code || (code != 0) != (stderr.Len() > 0) {
				t.Fatalf("exit %d (%q), want %d", code, stderr.String(), tc.code)
			}
		})
	}
	stop()
	var stderr bytes.Buffer
	env := map[string]string{config.VarRedisURL: rs.URL, config.VarWorkerMetricsAddr: wk.HealthAddr()}
	if code := app.HealthCheck(context.Background(), config.RoleWorker, "fgd-test", nil, func(k string) string { return env[k] }, &stderr); code != 1 {
		t.Fatalf("a stopped worker checks %d", code)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeTemp(t *testing.T, content string) string {
	p := t.TempDir() + "/f.yaml"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFabricsFileAfterRedisLostItsData: a Redis restarted without its data
// gets the fabrics file again from the running process, with no restart of
// it, so that webhooks for its fabrics are not ignored.
func TestFabricsFileAfterRedisLostItsData(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	w := newWorld(t, rs.URL, "0")
	p := w.open(config.RoleWorker, nil)
	ctx := context.Background()
	if _, err := p.Registry.Fabric(ctx, "dc1"); err != nil {
		t.Fatalf("the fabrics file is not in the registry at start: %v", err)
	}
	if err := p.Redis.Client.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the fabrics file to be upserted again", func() bool {
		_, err := p.Registry.Fabric(ctx, "dc1")
		return err == nil
	})
	if !strings.Contains(w.logs.String(), "upserting it again") {
		t.Fatal("the process did not say why it upserted the fabrics file again")
	}
}
