// Package e2e tests the sync end to end against real Redis, a real git
// smart-HTTP server and go-github's payload types; only the GitHub REST API
// is a fake (internal/githubfake).
package e2e

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
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/githubfake"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

const (
	webhookSecret = "e2e-webhook-secret-value"
	gitToken      = "ghs_e2eGitTokenValue0123456789"
	repository    = "acme/fabric-config"
)

// env is one fabric's world: Redis, the git server, the GitHub fake, the
// webhook server, and workers.
type env struct {
	t        testing.TB
	redis    *testredis.Server
	rdb      redis.UniversalClient
	git      *gittest.Server
	api      *githubfake.Server
	fabric   fabrics.Fabric
	fabFile  string
	webhook  *httptest.Server
	store    *store.Store
	insp     *asynq.Inspector
	logs     *syncbuf.Buffer
	workerID int
	// emptyRegistry: see envOptions.
	emptyRegistry bool
}

type envOptions struct {
	writeMode string
	gitToken  string // what the git server requires; gitToken when empty
	// emptyRegistry leaves the fabrics file out of the processes'
	// configuration: the admin API registers fabrics.
	emptyRegistry bool
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.gitToken == "" {
		o.gitToken = gitToken
	}
	e := &env{t: t, logs: &syncbuf.Buffer{}, emptyRegistry: o.emptyRegistry}
	e.redis = testredis.NewPrivate(t, testredis.Options{})
	var err error
	if e.rdb, err = redisconn.Open(e.redis.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.rdb.Close() })
	e.git = gittest.New(t, gittest.Options{Token: o.gitToken})
	e.api = githubfake.New(t, gitToken)
	mode := o.writeMode
	if mode == "" {
		mode = fabrics.WriteModePush
	}
	fabYAML := fmt.Sprintf("fabrics:\n  - name: dc1\n    repository: %s\n    clone_url: %s\n    branch: main\n    path: .\n    sync_interval: 0\n    write_mode: %s\n", repository, e.git.RepoURL(), mode)
	e.fabFile = filepath.Join(t.TempDir(), "fabrics.yaml")
	if err := os.WriteFile(e.fabFile, []byte(fabYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := fabrics.LoadFile(e.fabFile)
	if err != nil {
		t.Fatal(err)
	}
	e.fabric = list[0]
	e.store = store.New(e.rdb, "")
	e.insp = asynq.NewInspectorFromRedisClient(e.rdb)
	e.webhook = e.startWebhook(e.vars(""))
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), gitToken) || strings.Contains(e.logs.String(), webhookSecret) || strings.Contains(e.logs.String(), adminToken) {
			t.Error("a secret appears in the logs")
		}
		if t.Failed() {
			t.Logf("logs:\n%s", tail(e.logs.String(), 60))
		}
	})
	return e
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// vars are the environment variables of one process of this env, as an
// operator would set them; each process gets a data directory of its own.
func (e *env) vars(token string) map[string]string {
	e.workerID++
	v := map[string]string{
		config.VarRedisURL: e.redis.URL, config.VarWebhookSecret: webhookSecret, config.VarAdminToken: adminToken,
		config.VarGitHubToken: token, config.VarGitHubAPIURL: e.api.URL, config.VarWorkerPoolSize: "4", config.VarSyncTimeout: "1m",
		config.VarDataDir:        filepath.Join(e.t.TempDir(), fmt.Sprintf("w%d", e.workerID)),
		config.VarGitAllowedURLs: e.git.URL + "/", config.VarShutdownTimeout: "5s", config.VarLogLevel: "debug",
		config.VarListenAddr: "127.0.0.1:0", config.VarWorkerMetricsAddr: "127.0.0.1:0",
	}
	if !e.emptyRegistry {
		v[config.VarFabricsFile] = e.fabFile
	}
	return v
}

// load reads the configuration of role from vars, as the processes do.
func (e *env) load(role config.Role, vars map[string]string) config.Config {
	e.t.Helper()
	cfg, err := config.Load(role, nil, func(k string) string { return vars[k] })
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// cfg is the configuration a worker of this env runs with.
func (e *env) cfg(token string) config.Config { return e.load(config.RoleWorker, e.vars(token)) }

// open opens a process of this env until the test ends.
func (e *env) open(cfg config.Config, log *slog.Logger) *app.Process {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := app.Open(ctx, cfg, log)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cancel(); p.Close() })
	return p
}

func (e *env) logger(attrs ...any) *slog.Logger {
	return slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With(attrs...)
}

// startWebhook serves the production webhook server (app.NewWebhook) of
// vars until the test ends.
func (e *env) startWebhook(vars map[string]string) *httptest.Server {
	e.t.Helper()
	wh, err := app.NewWebhook(e.open(e.load(config.RoleWebhook, vars), e.logger("process", "webhook")), app.NewMetrics())
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(wh.Handler())
	e.t.Cleanup(func() { srv.Close(); wh.Close() })
	return srv
}

// startWorker runs a production worker (app.NewWorker) in this process until
// the test ends.
func (e *env) startWorker(token string) {
	e.t.Helper()
	e.startWorkerWith(e.cfg(token))
}

func (e *env) startWorkerWith(cfg config.Config, tune ...func(*app.Worker)) {
	e.t.Helper()
	wk, err := app.NewWorker(e.open(cfg, e.logger("worker", e.workerID)), app.NewMetrics())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, f := range tune {
		f(wk)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := wk.Run(ctx); err != nil {
			e.t.Errorf("worker: %v", err)
		}
	}()
	e.t.Cleanup(func() { cancel(); <-done })
}

var (
	buildOnce sync.Once
	workerBin string
	buildErr  error
)

// workerBinary builds cmd/worker once per test run.
func workerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fgd-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		workerBin = filepath.Join(dir, "fgd-worker")
		out, err := exec.Command("go", "build", "-o", workerBin, "../cmd/worker").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build worker: %v", buildErr)
	}
	return workerBin
}

// process is a worker running as its own OS process.
type process struct {
	cmd     *exec.Cmd
	out     *syncbuf.Buffer
	dataDir string
}

func (e *env) startProcess(token string) *process {
	e.t.Helper()
	bin := workerBinary(e.t)
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	vars := e.vars(token)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, out: &syncbuf.Buffer{}, dataDir: vars[config.VarDataDir]}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if strings.Contains(p.out.String(), token) && token != "" {
			e.t.Error("a worker process logged the token")
		}
		if e.t.Failed() {
			e.t.Logf("worker process output:\n%s", tail(p.out.String(), 40))
		}
	})
	return p
}

// push sends a signed push webhook for the branch head, as GitHub would.
func (e *env) push(delivery string, files ...string) []string {
	e.t.Helper()
	ids, err := pushFor(e, repository, delivery, e.git.Head("main"), files...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// pushFor sends a signed push webhook of repo's head to e's webhook server.
// It is safe to call from any goroutine.
func pushFor(e *env, repo, delivery, head string, files ...string) ([]string, error) {
	ev := &gh.PushEvent{
		Ref: gh.String("refs/heads/main"), Before: gh.String(strings.Repeat("0", 40)), After: gh.String(head),
		Repo:    &gh.PushEventRepository{FullName: gh.String(repo)},
		Pusher:  &gh.CommitAuthor{Name: gh.String("neteng")},
		Commits: []*gh.HeadCommit{{ID: gh.String(head), Added: files, Message: gh.String("update")}},
		Size:    gh.Int(1),
	}
	if len(files) == 0 {
		ev.Commits, ev.Size = nil, gh.Int(0)
	}
	body, _ := json.Marshal(ev)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, e.webhook.URL+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans struct {
		Status  string   `json:"status"`
		SyncIDs []string `json:"sync_ids"`
	}
	_ = json.Unmarshal(b, &ans)
	if resp.StatusCode != http.StatusAccepted || len(ans.SyncIDs) != 1 {
		return nil, fmt.Errorf("webhook: %d %s", resp.StatusCode, b)
	}
	return ans.SyncIDs, nil
}

// terminal states of a record.
func terminal(state string) bool {
	return state == store.StateSucceeded || state == store.StatePartial || state == store.StateFailed
}

// waitRecord polls a sync record until it is terminal.
func (e *env) waitRecord(id string, within time.Duration) *store.Record {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		r, err := e.store.GetRecord(context.Background(), id)
		if err == nil && terminal(r.State) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("sync %s not finished within %s: %+v %v", id, within, r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTaskState polls a task until asynq has moved it to the wanted state:
// the worker writes the record before asynq archives or completes the task.
func (e *env) waitTaskState(id string, want asynq.TaskState, within time.Duration) *asynq.TaskInfo {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, err := e.insp.GetTaskInfo(jobs.DefaultQueue, id)
		if err == nil && info.State == want {
			return info
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("task %s not %s within %s: %+v %v", id, want, within, info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitIdle polls until the queue holds no task that is waiting or running.
func (e *env) waitIdle(within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, err := e.insp.GetQueueInfo(jobs.DefaultQueue)
		if err == nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("queue not idle within %s: %+v %v", within, info, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// botCommits are the commits fgd-sync made.
func (e *env) botCommits() []gittest.CommitInfo {
	var out []gittest.CommitInfo
	for _, c := range e.git.Log("main") {
		if c.Author == "fgd-sync" {
			out = append(out, c)
		}
	}
	return out
}

func vpc(name string, vlan int) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: %s\nspec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      vlan: %d\n", name, vlan/256, vlan%256, vlan)
}

var (
	fgdctlOnce sync.Once
	fgdctlBin  string
	fgdctlErr  error
)

// runFgdctl runs the real fgdctl binary and returns its exit code.
func runFgdctl(args []string, stdout, stderr io.Writer) int {
	fgdctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fgd-e2e-ctl")
		if err != nil {
			fgdctlErr = err
			return
		}
		fgdctlBin = filepath.Join(dir, "fgdctl")
		if out, err := exec.Command("go", "build", "-o", fgdctlBin, "../cmd/fgdctl").CombinedOutput(); err != nil {
			fgdctlErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if fgdctlErr != nil {
		fmt.Fprintln(stderr, fgdctlErr)
		return -1
	}
	cmd := exec.Command(fgdctlBin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(stderr, err)
		return -1
	}
	return 0
}
