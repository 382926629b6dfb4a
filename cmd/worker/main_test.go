package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
)

func TestWorkerNeedsRedisURL(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), nil, func(string) string { return "" }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "HEDGEHOG_FGD_REDIS_URL") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
}

// TestWorkerStartsAndStopsGracefully runs the worker process's main loop on
// Redis and stops it the way SIGTERM does, by cancelling its context.
func TestWorkerStartsAndStopsGracefully(t *testing.T) {
	rs := testredis.New(t)
	env := map[string]string{"HEDGEHOG_FGD_REDIS_URL": rs.URL, "HEDGEHOG_FGD_WORKER_POOL_SIZE": "2", "HEDGEHOG_FGD_WORKER_METRICS_ADDR": "127.0.0.1:0"}
	var stdout, stderr syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "worker started") {
		if time.Now().After(deadline) {
			t.Fatalf("worker never started: %s %s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stdout.String(), "shutting down") {
			t.Fatalf("exit %d: %s", code, stdout.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("worker did not stop")
	}
}

func TestWorkerBadAppKeyExitsTwo(t *testing.T) {
	rs := testredis.New(t)
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEDGEHOG_FGD_REDIS_URL": rs.URL, "HEDGEHOG_FGD_WORKER_METRICS_ADDR": "127.0.0.1:0", "HEDGEHOG_FGD_GITHUB_APP_ID": "12", "HEDGEHOG_FGD_GITHUB_APP_PRIVATE_KEY_FILE": key}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "HEDGEHOG_FGD_GITHUB_APP_PRIVATE_KEY_FILE") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
}

// TestWorkerBusyHealthPortExitsTwo: a health address that cannot be listened
// on is a configuration error naming the variable.
func TestWorkerBusyHealthPortExitsTwo(t *testing.T) {
	rs := testredis.New(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := map[string]string{"HEDGEHOG_FGD_REDIS_URL": rs.URL, "HEDGEHOG_FGD_WORKER_METRICS_ADDR": busy.Addr().String()}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "HEDGEHOG_FGD_WORKER_METRICS_ADDR") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
}

// TestVersion: --version needs no configuration and names the build.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-log-level", "debug", "--version"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
		if code != 0 || !strings.HasPrefix(stdout.String(), "fgd-worker ") || !strings.Contains(stdout.String(), "commit") {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}
