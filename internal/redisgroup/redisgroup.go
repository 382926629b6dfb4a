// Package redisgroup starts a real replicated Redis for tests: a master, its
// replicas and Sentinels, each a redis-server process of the test's own on a
// free loopback port, with passwords, an ACL user and, when asked, AOF. A
// test that needs it is skipped only when redis-server is not installed.
package redisgroup

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options describe the group. Empty credentials mean none.
type Options struct {
	Replicas  int
	Sentinels int
	// MasterName is what the Sentinels call the master; "fgdmaster" when
	// empty.
	MasterName string
	// Password is the default user's password on the master and the
	// replicas (requirepass and masterauth).
	Password string
	// User and UserPassword add an ACL user with every right on the data
	// nodes, for URLs that log in by name.
	User, UserPassword string
	// SentinelUser and SentinelPassword protect the Sentinels: the password
	// is the default user's, and the user (when set) is an ACL user with
	// the same password.
	SentinelUser, SentinelPassword string
	// AOF turns on appendonly with fsync every second, as production runs.
	AOF bool
}

// Node is one redis-server process.
type Node struct {
	Port int
	t    testing.TB
	conf string
	args []string
	cmd  *exec.Cmd
}

// Group is a running master with its replicas and Sentinels.
type Group struct {
	Master    *Node
	Replicas  []*Node
	Sentinels []*Node
	o         Options
}

// Start starts the group and waits until every replica is linked to the
// master and every Sentinel knows the master, its replicas and the other
// Sentinels. It skips the test when redis-server is not installed.
func Start(t testing.TB, o Options) *Group {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed: no replicated Redis to run")
	}
	if o.MasterName == "" {
		o.MasterName = "fgdmaster"
	}
	g := &Group{o: o}
	g.Master = g.startData(t, 0)
	for i := 0; i < o.Replicas; i++ {
		g.Replicas = append(g.Replicas, g.startData(t, g.Master.Port))
	}
	for i := 0; i < o.Sentinels; i++ {
		g.Sentinels = append(g.Sentinels, g.startSentinel(t))
	}
	g.waitReady(t)
	return g
}

func (g *Group) startData(t testing.TB, masterPort int) *Node {
	t.Helper()
	n := &Node{Port: freePort(t), t: t}
	dir := t.TempDir()
	lines := []string{
		"port " + strconv.Itoa(n.Port), "bind 127.0.0.1", "dir " + dir, `save ""`, "loglevel warning",
		// Sentinel finds replicas by what they announce.
		"replica-announce-ip 127.0.0.1",
	}
	if g.o.AOF {
		lines = append(lines, "appendonly yes", "appendfsync everysec")
	} else {
		lines = append(lines, "appendonly no")
	}
	if g.o.Password != "" {
		lines = append(lines, "requirepass "+g.o.Password, "masterauth "+g.o.Password)
	}
	if g.o.User != "" {
		lines = append(lines, fmt.Sprintf("user %s on >%s ~* &* +@all", g.o.User, g.o.UserPassword))
	}
	if masterPort != 0 {
		lines = append(lines, fmt.Sprintf("replicaof 127.0.0.1 %d", masterPort))
	}
	n.conf = filepath.Join(dir, "redis.conf")
	writeFile(t, n.conf, lines)
	n.args = []string{n.conf}
	n.Start()
	t.Cleanup(n.Stop)
	return n
}

func (g *Group) startSentinel(t testing.TB) *Node {
	t.Helper()
	n := &Node{Port: freePort(t), t: t}
	dir := t.TempDir()
	m := g.o.MasterName
	lines := []string{
		"port " + strconv.Itoa(n.Port), "bind 127.0.0.1", "dir " + dir, "loglevel warning",
		"sentinel announce-ip 127.0.0.1",
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", m, g.Master.Port, max(1, g.o.Sentinels/2+1)),
		fmt.Sprintf("sentinel down-after-milliseconds %s 1000", m),
		fmt.Sprintf("sentinel failover-timeout %s 5000", m),
	}
	if g.o.Password != "" {
		lines = append(lines, fmt.Sprintf("sentinel auth-pass %s %s", m, g.o.Password))
	}
	if g.o.SentinelPassword != "" {
		lines = append(lines, "requirepass "+g.o.SentinelPassword, "sentinel sentinel-pass "+g.o.SentinelPassword)
		if g.o.SentinelUser != "" {
			lines = append(lines, fmt.Sprintf("user %s on >%s ~* &* +@all", g.o.SentinelUser, g.o.SentinelPassword))
		}
	}
	n.conf = filepath.Join(dir, "sentinel.conf")
	writeFile(t, n.conf, lines)
	n.args = []string{n.conf, "--sentinel"}
	n.Start()
	t.Cleanup(n.Stop)
	return n
}

// SentinelURL is the redis-sentinel:// URL of the group for database db,
// logging in as the ACL user when there is one.
func (g *Group) SentinelURL(db int) string {
	addrs := make([]string, len(g.Sentinels))
	for i, s := range g.Sentinels {
		addrs[i] = s.Addr()
	}
	q := url.Values{"master": {g.o.MasterName}}
	if g.o.SentinelPassword != "" {
		q.Set("sentinel_password", g.o.SentinelPassword)
		if g.o.SentinelUser != "" {
			q.Set("sentinel_username", g.o.SentinelUser)
		}
	}
	return fmt.Sprintf("redis-sentinel://%s%s/%d?%s", g.userinfo(), strings.Join(addrs, ","), db, q.Encode())
}

// MasterURL is the redis:// URL of the master for database db.
func (g *Group) MasterURL(db int) string {
	return fmt.Sprintf("redis://%s%s/%d", g.userinfo(), g.Master.Addr(), db)
}

func (g *Group) userinfo() string {
	switch {
	case g.o.User != "":
		return url.UserPassword(g.o.User, g.o.UserPassword).String() + "@"
	case g.o.Password != "":
		return ":" + url.QueryEscape(g.o.Password) + "@"
	}
	return ""
}

// Client is an admin client of a data node, logged in as the default user.
func (g *Group) Client(n *Node, db int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr(), Password: g.o.Password, DB: db})
}

// SentinelClient is a client of a Sentinel.
func (g *Group) SentinelClient(n *Node) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: n.Addr(), Username: g.o.SentinelUser, Password: g.o.SentinelPassword})
}

// WaitLinked polls until the master counts want replicas online (linked
// and past their initial synchronisation, so that WAIT counts them).
func (g *Group) WaitLinked(t testing.TB, want int) {
	t.Helper()
	c := g.Client(g.Master, 0)
	defer c.Close()
	poll(t, "the master to count its replicas online", func(ctx context.Context) error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if got := strings.Count(info, ",state=online,"); got != want {
			return fmt.Errorf("%d replicas online, want %d", got, want)
		}
		return nil
	})
}

func (g *Group) waitReady(t testing.TB) {
	t.Helper()
	for _, r := range g.Replicas {
		c := g.Client(r, 0)
		poll(t, "a replica to link to its master", func(ctx context.Context) error {
			info, err := c.Info(ctx, "replication").Result()
			if err != nil {
				return err
			}
			if s := infoField(info, "master_link_status"); s != "up" {
				return fmt.Errorf("master_link_status %q", s)
			}
			return nil
		})
		_ = c.Close()
	}
	for _, s := range g.Sentinels {
		c := g.SentinelClient(s)
		poll(t, "a Sentinel to know the master, its replicas and the other Sentinels", func(ctx context.Context) error {
			m, err := c.Master(ctx, g.o.MasterName).Result()
			if err != nil {
				return err
			}
			if m["num-slaves"] != strconv.Itoa(len(g.Replicas)) || m["num-other-sentinels"] != strconv.Itoa(len(g.Sentinels)-1) {
				return fmt.Errorf("sentinel sees %s replicas and %s other sentinels", m["num-slaves"], m["num-other-sentinels"])
			}
			return nil
		})
		_ = c.Close()
	}
}

// Addr is the node's host:port.
func (n *Node) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.Port) }

// Start starts the node on its port and waits until it answers PING (a
// password error counts as an answer).
func (n *Node) Start() {
	n.t.Helper()
	n.cmd = exec.Command("redis-server", n.args...)
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: n.Addr(), DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	poll(n.t, "redis-server on "+n.Addr()+" to answer", func(ctx context.Context) error {
		err := c.Ping(ctx).Err()
		if err != nil && (strings.Contains(err.Error(), "NOAUTH") || strings.Contains(err.Error(), "WRONGPASS")) {
			return nil
		}
		return err
	})
}

// Stop kills the node (SIGKILL, as a crash would) and waits for it.
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGCONT) // a frozen process cannot be reaped otherwise
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
	n.cmd = nil
}

// Freeze stops the node from answering (SIGSTOP), as a partition would; its
// connections stay open. Thaw resumes it.
func (n *Node) Freeze() {
	if n.cmd != nil {
		_ = n.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Thaw resumes a frozen node.
func (n *Node) Thaw() {
	if n.cmd != nil {
		_ = n.cmd.Process.Signal(syscall.SIGCONT)
	}
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// poll retries f until it succeeds, for at most 20 s.
func poll(t testing.TB, what string, f func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t testing.TB, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
