package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

const (
	testSecret     = "s3cr3t-webhook-value-for-tests"
	rotatedSecret  = "an0ther-rotated-secret-value"
	testAdminToken = "admin-token-value-never-logged"
	testRepo       = "acme/fabric-config"
)

// fixture is a webhook server on a real Redis with its own queue.
type fixture struct {
	t         *testing.T
	redis     *testredis.Server
	queue     string
	server    *httptest.Server
	inspector *asynq.Inspector
	logs      *syncbuf.Buffer
	handler   *WebhookHandler
}

func testFabrics() []fabrics.Fabric {
	list, err := fabrics.Parse([]byte(`
fabrics:
  - name: dc1
    repository: acme/fabric-config
    branch: main
    path: fabrics/dc1
  - name: lab
    repository: acme/lab
`))
	if err != nil {
		panic(err)
	}
	return list
}

func newFixture(t *testing.T, rs *testredis.Server) *fixture {
	t.Helper()
	return newFixtureWith(t, rs, nil)
}

// newFixtureWith lets the test change the handler before it serves.
func newFixtureWith(t *testing.T, rs *testredis.Server, change func(*WebhookHandler)) *fixture {
	t.Helper()
	if rs == nil {
		rs = testredis.New(t)
	}
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	f := &fixture{t: t, redis: rs, queue: testredis.Unique("test"), logs: &syncbuf.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &WebhookHandler{
		Secrets:     [][]byte{[]byte(testSecret), []byte(rotatedSecret)},
		Fabrics:     fabrics.NewStaticIndex(testFabrics()),
		Queue:       asynq.NewClientFromRedisClient(rdb),
		Metrics:     NewMetrics(prometheus.NewRegistry()),
		Logger:      log,
		TaskOptions: []asynq.Option{asynq.Queue(f.queue)},
	}
	if change != nil {
		change(h)
	}
	f.handler = h
	f.server = httptest.NewServer(NewRouter(RouterConfig{
		Webhook: h,
		Redis:   RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }),
		Logger:  log,
	}))
	t.Cleanup(f.server.Close)
	f.inspector = asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() {
		_ = f.inspector.DeleteQueue(f.queue, true)
		logs := f.logs.String()
		for _, s := range []string{testSecret, rotatedSecret, testAdminToken} {
			if strings.Contains(logs, s) {
				t.Errorf("a secret appears in the logs")
			}
		}
	})
	return f
}

// tasks returns the sync tasks waiting in the fixture's queue.
func (f *fixture) tasks() []*asynq.TaskInfo {
	f.t.Helper()
	list, err := f.inspector.ListPendingTasks(f.queue, asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		f.t.Fatalf("list tasks: %v", err)
	}
	return list
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type req struct {
	event, delivery, contentType string
	body                         []byte
	headers                      map[string]string
	unsigned                     bool
	chunked                      bool
}

func (f *fixture) send(r req) (*http.Response, map[string]any) {
	f.t.Helper()
	if r.contentType == "" {
		r.contentType = "application/json"
	}
	if r.delivery == "" {
		r.delivery = testredis.Unique("delivery")
	}
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.MultiReader(bytes.NewReader(r.body)) // hides the length: sent chunked
	}
	hr, err := http.NewRequest(http.MethodPost, f.server.URL+"/webhooks/github", body)
	if err != nil {
		f.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", r.contentType)
	hr.Header.Set("X-GitHub-Delivery", r.delivery)
	if r.event != "" {
		hr.Header.Set("X-GitHub-Event", r.event)
	}
	if !r.unsigned {
		hr.Header.Set("X-Hub-Signature-256", sign(testSecret, r.body))
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(hr)
	if err != nil {
		f.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp, out
}

// pushEvent builds a push payload with go-github's types, shaped like the
// ones GitHub sends.
func pushEvent(repo, ref string, files ...string) *gh.PushEvent {
	owner, name, _ := strings.Cut(repo, "/")
	ev := &gh.PushEvent{
		Ref:     gh.String(ref),
		Before:  gh.String("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
		After:   gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
		Created: gh.Bool(false),
		Deleted: gh.Bool(false),
		Forced:  gh.Bool(false),
		Size:    gh.Int(1),
		Repo: &gh.PushEventRepository{
			ID: gh.Int64(186853002), Name: gh.String(name), FullName: gh.String(repo),
			Owner:         &gh.User{Login: gh.String(owner), ID: gh.Int64(21031067), Type: gh.String("Organization")},
			DefaultBranch: gh.String("main"), MasterBranch: gh.String("main"),
			HTMLURL:  gh.String("https://github.com/" + repo),
			CloneURL: gh.String("https://github.com/" + repo + ".git"),
			Private:  gh.Bool(true),
		},
		Pusher: &gh.CommitAuthor{Name: gh.String("octocat"), Email: gh.String("octocat@github.com")},
		Sender: &gh.User{Login: gh.String("octocat"), ID: gh.Int64(1)},
	}
	commit := &gh.HeadCommit{
		ID:      gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
		Message: gh.String("Add raw fabric files"),
		Author:  &gh.CommitAuthor{Name: gh.String("Octo Cat"), Email: gh.String("octocat@github.com")},
		URL:     gh.String("https://github.com/" + repo + "/commit/0d1a26e"),
		Added:   files, Removed: []string{}, Modified: []string{},
	}
	if len(files) > 0 {
		ev.Commits = []*gh.HeadCommit{commit}
		ev.HeadCommit = commit
	} else {
		ev.Size = gh.Int(0)
	}
	return ev
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomSHA() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
