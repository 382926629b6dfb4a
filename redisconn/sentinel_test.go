package redisconn

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRedis(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

func waitFor(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSentinelURL runs a real master and a real Sentinel (redis-server
// --sentinel) and connects through a redis-sentinel:// URL, as production
// with Sentinel does; asynq enqueues through it.
func TestSentinelURL(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed: no Sentinel to run")
	}
	master, sentinel := freePort(t), freePort(t)
	dir := t.TempDir()
	startRedis(t, "--port", fmt.Sprint(master), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor fgdmaster 127.0.0.1 %d 1\n", sentinel, dir, master)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	startRedis(t, conf, "--sentinel")
	sc := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", sentinel)})
	defer sc.Close()
	waitFor(t, "sentinel knows the master", func() error {
		return sc.GetMasterAddrByName(context.Background(), "fgdmaster").Err()
	})

	c, err := Open(fmt.Sprintf("redis-sentinel://127.0.0.1:%d?master=fgdmaster", sentinel))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	waitFor(t, "ping through Sentinel", func() error { return c.Ping(ctx).Err() })
	if err := c.Set(ctx, "fgd:sentinel-test", "ok", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", master)})
	defer direct.Close()
	if v, err := direct.Get(ctx, "fgd:sentinel-test").Result(); err != nil || v != "ok" {
		t.Fatalf("the write did not reach the master: %q %v", v, err)
	}
	if _, err := asynq.NewClientFromRedisClient(c).Enqueue(asynq.NewTask("fgd:test", nil)); err != nil {
		t.Fatalf("asynq through Sentinel: %v", err)
	}
}
