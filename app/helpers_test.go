package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/store"
)

const (
	webhookSecret = "app-test-webhook-secret-value"
	adminToken    = "app-test-admin-token-value-0123"
	repository    = "acme/fabric-config"
)

// world is one fabric on a local git server, and the environment that the
// processes of a test read their configuration from, as in production.
type world struct {
	t    testing.TB
	git  *gittest.Server
	env  map[string]string
	logs *syncbuf.Buffer
}

// newWorld registers fabric dc1 (sync_interval as given, "0" for none) on a
// fresh git server, for processes on redisURL.
func newWorld(t testing.TB, redisURL, syncInterval string) *world {
	t.Helper()
	w := &world{t: t, git: gittest.New(t, gittest.Options{}), logs: &syncbuf.Buffer{}}
	fabricsFile := filepath.Join(t.TempDir(), "fabrics.yaml")
	yaml := fmt.Sprintf("fabrics:\n  - name: dc1\n    repository: %s\n    clone_url: %s\n    branch: main\n    sync_interval: %s\n", repository, w.git.RepoURL(), syncInterval)
	if err := os.WriteFile(fabricsFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{
		config.VarRedisURL:          redisURL,
		config.VarWebhookSecret:     webhookSecret,
		config.VarAdminToken:        adminToken,
		config.VarFabricsFile:       fabricsFile,
		config.VarGitAllowedURLs:    w.git.URL + "/",
		config.VarWorkerMetricsAddr: "127.0.0.1:0",
		config.VarListenAddr:        "127.0.0.1:0",
		config.VarLogLevel:          "debug",
		config.VarWorkerPoolSize:    "2",
		config.VarShutdownTimeout:   "5s",
	}
	t.Cleanup(func() {
		for _, s := range []string{webhookSecret, adminToken} {
			if strings.Contains(w.logs.String(), s) {
				t.Error("a secret appears in the logs")
			}
		}
		if t.Failed() {
			t.Logf("logs:\n%s", tail(w.logs.String(), 40))
		}
	})
	return w
}

// open loads the configuration of role from the world's environment with
// extra variables on top, and opens the process, as Boot does.
func (w *world) open(role config.Role, extra map[string]string) *app.Process {
	w.t.Helper()
	env := maps.Clone(w.env)
	maps.Copy(env, extra)
	env[config.VarDataDir] = w.t.TempDir()
	cfg, err := config.Load(role, nil, func(k string) string { return env[k] })
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := app.Open(ctx, cfg, log)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { cancel(); p.Close() })
	return p
}

// startWorker runs a worker of p until the test ends, or until stop.
func (w *world) startWorker(p *app.Worker) (stop func() time.Duration) {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop = func() time.Duration {
		if stopped {
			return 0
		}
		stopped = true
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				w.t.Errorf("worker: %v", err)
			}
		case <-time.After(time.Minute):
			w.t.Fatal("the worker did not stop within a minute")
		}
		return time.Since(start)
	}
	w.t.Cleanup(func() { stop() })
	return stop
}

// worker opens a worker process on the world and starts it.
func (w *world) worker(extra map[string]string) (*app.Worker, func() time.Duration) {
	w.t.Helper()
	wk, err := app.NewWorker(w.open(config.RoleWorker, extra), app.NewMetrics())
	if err != nil {
		w.t.Fatal(err)
	}
	return wk, w.startWorker(wk)
}

// webhook opens a webhook process on the world and serves it; admin is nil
// unless HEDGEHOG_FGD_ADMIN_LISTEN_ADDR is among extra.
func (w *world) webhook(extra map[string]string) (public, admin *httptest.Server) {
	w.t.Helper()
	wh, err := app.NewWebhook(w.open(config.RoleWebhook, extra), app.NewMetrics())
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(wh.Close)
	public = httptest.NewServer(wh.Handler())
	w.t.Cleanup(public.Close)
	if h := wh.AdminHandler(); h != nil {
		admin = httptest.NewServer(h)
		w.t.Cleanup(admin.Close)
	}
	return public, admin
}

// push sends a signed push of the branch head touching files, as GitHub
// would, and returns the status and the decoded answer.
func push(t testing.TB, base, delivery, head string, files ...string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(&gh.PushEvent{
		Ref: gh.String("refs/heads/main"), Before: gh.String(strings.Repeat("0", 40)), After: gh.String(head),
		Repo:    &gh.PushEventRepository{FullName: gh.String(repository)},
		Commits: []*gh.HeadCommit{{ID: gh.String(head), Added: files, Message: gh.String("update")}},
		Size:    gh.Int(1),
	})
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return do(t, req)
}

// call sends an admin API request with the admin token.
func call(t testing.TB, method, url string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func syncIDs(out map[string]any) []string {
	var ids []string
	list, _ := out["sync_ids"].([]any)
	for _, v := range list {
		s, _ := v.(string)
		ids = append(ids, s)
	}
	return ids
}

// waitFor polls cond until it holds, with a deadline.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitRecord polls a sync record until it is terminal.
func waitRecord(t testing.TB, st *store.Store, id string, within time.Duration) *store.Record {
	t.Helper()
	var rec *store.Record
	waitFor(t, within, "sync "+id+" to finish", func() bool {
		r, err := st.GetRecord(context.Background(), id)
		if err == nil && (r.State == store.StateSucceeded || r.State == store.StatePartial || r.State == store.StateFailed) {
			rec = r
			return true
		}
		return false
	})
	return rec
}

func vpc(name string, vlan int) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: %s\nspec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      vlan: %d\n", name, vlan/256, vlan%256, vlan)
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
