//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// masterName is the Sentinel name of the monitored master.
const masterName = "fgdmaster"

// redisNode is one redis-server process (data node or Sentinel).
type redisNode struct {
	port int
	args []string
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (n *redisNode) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

func (n *redisNode) start(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	cmd := exec.Command("redis-server", n.args...)
	cmd.Dir = n.dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server %d: %v", n.port, err)
	}
	n.cmd = cmd
	go func() { _ = cmd.Wait() }()
}

// kill9 kills the process without letting it save or hand anything over.
func (n *redisNode) kill9() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// topology is a master with AOF, replicas and three Sentinels.
type topology struct {
	data      []*redisNode // data[0] is the first master
	sentinels []*redisNode
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startTopology(t *testing.T, replicas int) *topology {
	t.Helper()
	// The test's own probes dial dead masters on purpose; go-redis would log
	// every refused dial.
	redis.SetLogger(quietLogger{})
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("the fault suite needs redis-server (apt-get install redis-server)")
	}
	top := &topology{}
	masterPort := freePort(t)
	for i := 0; i <= replicas; i++ {
		port := masterPort
		if i > 0 {
			port = freePort(t)
		}
		dir := t.TempDir()
		args := []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "everysec", "--replica-announce-ip", "127.0.0.1",
			"--min-replicas-to-write", "0", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}
		if i > 0 {
			args = append(args, "--replicaof", "127.0.0.1", fmt.Sprint(masterPort))
		}
		n := &redisNode{port: port, args: args, dir: dir}
		n.start(t)
		top.data = append(top.data, n)
	}
	for i := 0; i < 3; i++ {
		port := freePort(t)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel announce-ip 127.0.0.1\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 4000\nsentinel parallel-syncs %s 2\n",
			port, dir, masterName, masterPort, masterName, masterName, masterName)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		n := &redisNode{port: port, args: []string{conf, "--sentinel"}, dir: dir}
		n.start(t)
		top.sentinels = append(top.sentinels, n)
	}
	t.Cleanup(func() {
		for _, n := range append(top.data, top.sentinels...) {
			n.kill9()
		}
	})
	top.waitHealthy(t, replicas)
	return top
}

// url is the redis-sentinel:// URL every fgd-sync process gets.
func (top *topology) url() string {
	var hosts []string
	for _, s := range top.sentinels {
		hosts = append(hosts, s.addr())
	}
	return "redis-sentinel://" + strings.Join(hosts, ",") + "?master=" + masterName
}

func (top *topology) sentinel() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: top.sentinels[0].addr(), DialTimeout: 300 * time.Millisecond})
}

// master returns the node the Sentinels name as master.
func (top *topology) master(ctx context.Context) (*redisNode, error) {
	for _, s := range top.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), DialTimeout: 300 * time.Millisecond})
		addr, err := sc.GetMasterAddrByName(ctx, masterName).Result()
		_ = sc.Close()
		if err != nil {
			continue
		}
		for _, n := range top.data {
			if n.addr() == addr[0]+":"+addr[1] {
				return n, nil
			}
		}
	}
	return nil, fmt.Errorf("no Sentinel names a known master")
}

// connectedReplicas counts the current master's replicas that are online:
// linked and past their initial synchronisation. (INFO's connected_slaves
// also counts a replica still loading its first copy, which cannot
// acknowledge a WAIT yet.)
func (top *topology) connectedReplicas(ctx context.Context) int {
	m, err := top.master(ctx)
	if err != nil {
		return 0
	}
	c := redis.NewClient(&redis.Options{Addr: m.addr(), DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0
	}
	return strings.Count(info, ",state=online,")
}

// waitHealthy waits until the master has its replicas and every Sentinel
// knows the other Sentinels and sees every replica as a healthy candidate,
// so that a SENTINEL FAILOVER has a replica to promote.
func (top *topology) waitHealthy(t *testing.T, replicas int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if top.connectedReplicas(ctx) >= replicas && top.sentinelsAgree(ctx, replicas) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the Redis topology did not come up with %d replicas and 3 Sentinels", replicas)
}

func (top *topology) sentinelsAgree(ctx context.Context, replicas int) bool {
	for _, s := range top.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), DialTimeout: 300 * time.Millisecond})
		others, err1 := sc.Sentinels(ctx, masterName).Result()
		reps, err2 := sc.Replicas(ctx, masterName).Result()
		_ = sc.Close()
		if err1 != nil || err2 != nil || len(others) < 2 || len(reps) < replicas {
			return false
		}
		for _, r := range reps {
			if r["flags"] != "slave" {
				return false
			}
			if r["master-link-status"] != "ok" {
				return false
			}
		}
	}
	return true
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
