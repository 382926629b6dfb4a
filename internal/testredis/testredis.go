// Package testredis gives tests a real Redis where one can be had:
//
//  1. HEDGEHOG_FGD_TEST_REDIS_URL, when it is set (CI sets it);
//  2. otherwise a redis-server of the test's own on a free loopback port,
//     when the binary is installed;
//  3. otherwise the embedded miniredis, and the test log says so.
//
// Tests that share a Redis keep apart by using their own queue names and key
// prefixes (see Unique); nothing here flushes a database.
package testredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/internal/embedredis"
)

// EnvURL names the variable that points tests at an existing Redis.
const EnvURL = "HEDGEHOG_FGD_TEST_REDIS_URL"

// Kind says what a Server runs on.
type Kind string

// The three kinds.
const (
	KindExternal Kind = "external"
	KindProcess  Kind = "redis-server"
	KindMini     Kind = "miniredis"
)

// Server is a Redis for one test.
type Server struct {
	URL  string
	Kind Kind

	t    testing.TB
	port int
	dir  string
	aof  bool
	cmd  *exec.Cmd
	mini *embedredis.Server
}

// Options change how a private server starts.
type Options struct {
	// AOF turns on appendonly with fsync every second, as production runs.
	AOF bool
}

// New returns the shared Redis when EnvURL is set, else a private one.
func New(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u, Kind: KindExternal, t: t}
	}
	return NewPrivate(t, Options{})
}

// NewPrivate starts a Redis that belongs to this test alone, so that the test
// may stop and restart it: redis-server when installed, else miniredis.
func NewPrivate(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, aof: o.AOF}
	if _, err := exec.LookPath("redis-server"); err == nil {
		s.Kind = KindProcess
		s.port = freePort(t)
		s.dir = t.TempDir()
		s.URL = "redis://127.0.0.1:" + strconv.Itoa(s.port)
		s.Start()
		t.Cleanup(s.Stop)
		return s
	}
	s.Kind = KindMini
	t.Log("testredis: redis-server is not installed; running on the embedded miniredis")
	var err error
	if s.mini, err = embedredis.Start(); err != nil {
		t.Fatalf("start miniredis: %v", err)
	}
	s.URL = "redis://" + s.mini.Addr()
	t.Cleanup(s.mini.Close)
	return s
}

// Stop stops a private server. Its port stays reserved for Start.
func (s *Server) Stop() {
	switch s.Kind {
	case KindProcess:
		if s.cmd == nil {
			return
		}
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	case KindMini:
		s.mini.Miniredis.Close() // the clock keeps running for Restart
	default:
		s.t.Fatal("testredis: cannot stop an external Redis")
	}
}

// Freeze stops a private redis-server process from answering, as a network
// partition or a stuck server would (SIGSTOP); Thaw resumes it. It reports
// false when the server is not a process of the test's own.
func (s *Server) Freeze() bool {
	if s.Kind != KindProcess || s.cmd == nil {
		return false
	}
	return s.cmd.Process.Signal(syscall.SIGSTOP) == nil
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Start starts a private server on its port and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	switch s.Kind {
	case KindProcess:
		args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--dir", s.dir, "--daemonize", "no", "--loglevel", "warning"}
		if s.aof {
			args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
		} else {
			args = append(args, "--appendonly", "no")
		}
		s.cmd = exec.Command("redis-server", args...)
		if err := s.cmd.Start(); err != nil {
			s.t.Fatalf("start redis-server: %v", err)
		}
	case KindMini:
		if err := s.mini.Restart(); err != nil {
			s.t.Fatalf("restart miniredis: %v", err)
		}
	default:
		s.t.Fatal("testredis: cannot start an external Redis")
	}
	s.waitReady()
}

// waitReady polls PING until the server answers, with a deadline.
func (s *Server) waitReady() {
	s.t.Helper()
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		s.t.Fatalf("parse %s: %v", s.URL, err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis at %s did not answer within 10s: %v", s.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Unique returns a name no other test uses, for a queue or a key prefix.
func Unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s", prefix, hex.EncodeToString(b))
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
