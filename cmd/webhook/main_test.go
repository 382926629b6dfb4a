package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
)

func TestBadConfigurationExitsTwo(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		naming  string
		leakage string
	}{
		{"missing secret in production", map[string]string{"HEDGEHOG_FGD_REDIS_URL": "redis://127.0.0.1:1", "HEDGEHOG_FGD_ADMIN_TOKEN": "x"}, "HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET", ""},
		{"bad pool size", map[string]string{"HEDGEHOG_FGD_WORKER_POOL_SIZE": "-1"}, "HEDGEHOG_FGD_WORKER_POOL_SIZE", ""},
		{"bad redis url", map[string]string{"HEDGEHOG_FGD_REDIS_URL": "mysql://root:hunter2@db"}, "HEDGEHOG_FGD_REDIS_URL", "hunter2"},
		{"bad fabrics file", map[string]string{"HEDGEHOG_FGD_FABRICS_FILE": writeTemp(t, "fabrics:\n  - name: BAD\n")}, "HEDGEHOG_FGD_FABRICS_FILE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), nil, func(k string) string { return tc.env[k] }, &stdout, &stderr)
			msg := strings.TrimSpace(stderr.String())
			if code != 2 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.naming) {
				t.Fatalf("exit %d, stderr %q: want 2 and one line naming %s", code, msg, tc.naming)
			}
			if tc.leakage != "" && strings.Contains(msg+stdout.String(), tc.leakage) {
				t.Fatalf("the message leaks a password: %q", msg)
			}
		})
	}
}

func writeTemp(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMakeRun runs `make run` as a user on a fresh machine would, with no
// Redis URL: it must serve /healthz, accept a signed push, and sync it (the
// fabric lives on a local git server).
func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	const secret = "make-run-secret-value"
	const adminToken = "make-run-admin-token"
	port := freePort(t)
	git := gittest.New(t, gittest.Options{})
	git.Commit(map[string]string{"raw/vpcs.yaml": "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets: {}\n"}, nil, "raw")
	fabricsFile := writeTemp(t, "fabrics:\n  - name: dc1\n    repository: acme/fabric-config\n    clone_url: "+git.RepoURL()+"\n")
	cmd := exec.Command("make", "-s", "run")
	cmd.Dir = "../.."
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HEDGEHOG_FGD_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"HEDGEHOG_FGD_LISTEN_ADDR=127.0.0.1:"+port,
		"HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET="+secret,
		"HEDGEHOG_FGD_ADMIN_TOKEN="+adminToken,
		"HEDGEHOG_FGD_FABRICS_FILE="+fabricsFile,
		"HEDGEHOG_FGD_DATA_DIR="+t.TempDir(),
		"HEDGEHOG_FGD_GIT_ALLOWED_URLS="+git.URL+"/",
	)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logs := out.String()
		if strings.Contains(logs, secret) || strings.Contains(logs, adminToken) {
			t.Errorf("make run printed a secret it was given")
		}
		if t.Failed() {
			t.Logf("make run output:\n%s", logs)
		}
	})

	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(3 * time.Minute) // the first run compiles the server
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("make run never served /healthz: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "EMBEDDED IN-MEMORY REDIS") {
		t.Error("no loud warning about the embedded Redis")
	}

	body, _ := json.Marshal(&gh.PushEvent{
		Ref: gh.String("refs/heads/main"), After: gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
		Repo:    &gh.PushEventRepository{FullName: gh.String("acme/fabric-config")},
		Commits: []*gh.HeadCommit{{Added: []string{"raw/vpcs.yaml"}}},
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "make-run-delivery-1")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Status  string   `json:"status"`
		SyncIDs []string `json:"sync_ids"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || answer.Status != "queued" || len(answer.SyncIDs) != 1 {
		t.Fatalf("signed push: %d %+v", resp.StatusCode, answer)
	}

	// The embedded worker syncs it: the managed file lands on the branch.
	for {
		if finished(out.String(), answer.SyncIDs[0]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the embedded worker never finished the sync")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if tree := git.Tree("main"); tree["managed/vpcs/vpc-1.yaml"] == "" {
		t.Fatalf("no managed file on the branch: %v", gittest.Files(tree, ""))
	}
}

func finished(logs, syncID string) bool {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["sync_id"] == syncID && line["process"] == "embedded-worker" &&
			line["msg"] == "sync finished" && line["state"] == "succeeded" {
			return true
		}
	}
	return false
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// TestTwoListeners runs the server with HEDGEHOG_FGD_ADMIN_LISTEN_ADDR: the
// admin API answers only on the admin listener; `healthcheck` reports the
// running server ready; cancelling the context (SIGTERM) exits 0.
func TestTwoListeners(t *testing.T) {
	rs := testredis.New(t)
	public, admin := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	env := map[string]string{
		"HEDGEHOG_FGD_REDIS_URL": rs.URL, "HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET": "two-listeners-secret",
		"HEDGEHOG_FGD_ADMIN_TOKEN": "two-listeners-token", "HEDGEHOG_FGD_LISTEN_ADDR": public, "HEDGEHOG_FGD_ADMIN_LISTEN_ADDR": admin,
	}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, getenv, &stdout, &stderr) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exit %d: %s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop")
		}
	}()
	get := func(addr string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/fabrics", nil)
		req.Header.Set("Authorization", "Bearer two-listeners-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(20 * time.Second)
	for get(admin) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("the admin listener never answered: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := get(public); code != http.StatusNotFound {
		t.Fatalf("the public listener answered %d for the admin API, want 404", code)
	}
	var probeErr bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck"}, getenv, io.Discard, &probeErr); code != 0 {
		t.Fatalf("healthcheck: exit %d %s", code, probeErr.String())
	}
}

// TestVersion: --version needs no configuration and names the build.
func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--version"}, func(string) string { return "" }, &stdout, &stderr)
	if code != 0 || !strings.HasPrefix(stdout.String(), "fgd-webhook ") || !strings.Contains(stdout.String(), "commit") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
