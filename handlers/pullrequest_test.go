package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/githubfake"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
)

const (
	prSecret  = "pull-request-webhook-secret-value"
	prToken   = "ghp_pullRequestTestToken0123456789"
	prHeadSHA = "c0ffee0b5b57875f334f61aebed695e2e4193db5"
)

// prFixture is a webhook server on a real Redis with its own queue, whose
// pull requests' files come from the fake GitHub API.
type prFixture struct {
	t      *testing.T
	server *httptest.Server
	api    *githubfake.Server
	insp   *asynq.Inspector
	queue  string
	logs   *syncbuf.Buffer
}

// prFabrics: dc1 and dc2 share the branch main of acme/fabric-config;
// staging watches its branch staging.
func prFabrics(t *testing.T) []fabrics.Fabric {
	list, err := fabrics.Parse([]byte(`
fabrics:
  - name: dc1
    repository: acme/fabric-config
    branch: main
    path: fabrics/dc1
  - name: dc2
    repository: acme/fabric-config
    branch: main
    path: fabrics/dc2
  - name: staging
    repository: acme/fabric-config
    branch: staging
    path: fabrics/staging
  - name: lab
    repository: acme/lab
`))
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func newPRFixture(t *testing.T, rs *testredis.Server, withAPI bool) *prFixture {
	t.Helper()
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	f := &prFixture{t: t, api: githubfake.New(t, prToken), insp: asynq.NewInspectorFromRedisClient(rdb), queue: testredis.Unique("pr"), logs: &syncbuf.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &WebhookHandler{
		Secrets: [][]byte{[]byte(prSecret)}, Fabrics: fabrics.NewStaticIndex(prFabrics(t)), Queue: asynq.NewClientFromRedisClient(rdb),
		Metrics: NewMetrics(prometheus.NewRegistry()), Logger: log, TaskOptions: []asynq.Option{asynq.Queue(f.queue)},
	}
	if withAPI {
		creds, err := github.NewTokenCredentials(f.api.URL, prToken, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.PullRequestFiles = github.PullRequestFileLister{Credentials: creds}
	}
	f.server = httptest.NewServer(NewRouter(RouterConfig{Webhook: h, Logger: log,
		Redis: RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })}))
	t.Cleanup(f.server.Close)
	t.Cleanup(func() {
		_ = f.insp.DeleteQueue(f.queue, true)
		if strings.Contains(f.logs.String(), prToken) || strings.Contains(f.logs.String(), prSecret) {
			t.Error("a secret appears in the logs")
		}
	})
	return f
}

// payload is the recorded synchronize delivery with changes applied to its
// decoded JSON, so that every case keeps GitHub's full shape.
func payload(t *testing.T, change func(ev map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/pull_request_synchronize.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(ev)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at returns the object at a dotted path of ev.
func at(ev map[string]any, path string) map[string]any {
	m := ev
	for _, k := range strings.Split(path, ".") {
		m = m[k].(map[string]any)
	}
	return m
}

func (f *prFixture) deliver(delivery string, body []byte) (int, webhookAnswer, errorBody) {
	f.t.Helper()
	r, _ := http.NewRequest(http.MethodPost, f.server.URL+"/webhooks/github", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(gh.EventTypeHeader, "pull_request")
	r.Header.Set(gh.DeliveryIDHeader, delivery)
	mac := hmac.New(sha256.New, []byte(prSecret))
	mac.Write(body)
	r.Header.Set(gh.SHA256SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(bytes.Buffer)
	_, _ = b.ReadFrom(resp.Body)
	var ans webhookAnswer
	var eb errorBody
	_ = json.Unmarshal(b.Bytes(), &ans)
	_ = json.Unmarshal(b.Bytes(), &eb)
	return resp.StatusCode, ans, eb
}

// queued returns the payloads of the validations waiting in the queue, by fabric.
func (f *prFixture) queued() map[string]jobs.SyncPayload {
	f.t.Helper()
	list, err := f.insp.ListPendingTasks(f.queue, asynq.PageSize(100))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]jobs.SyncPayload{}
	for _, ti := range list {
		p, err := jobs.ParseSyncPayload(ti.Payload)
		if err != nil {
			f.t.Fatal(err)
		}
		if ti.Type != jobs.TypeSync || ti.ID != p.SyncID {
			f.t.Fatalf("task %s of type %s for sync %s", ti.ID, ti.Type, p.SyncID)
		}
		out[p.Fabric] = p
	}
	return out
}

func files(names ...string) []*gh.CommitFile {
	var out []*gh.CommitFile
	for _, n := range names {
		out = append(out, &gh.CommitFile{Filename: gh.String(n), Status: gh.String("modified")})
	}
	return out
}

// TestPullRequestRouting: which pull_request deliveries queue a
// validation, for which fabrics, and why the others are ignored.
func TestPullRequestRouting(t *testing.T) {
	rs := testredis.New(t)
	tests := []struct {
		name     string
		noAPI    bool
		change   func(ev map[string]any)
		files    []*gh.CommitFile // nil: the API does not know the pull request (404)
		status   int
		answer   string // status of the answer, or its error code
		reason   string
		fabrics  []string          // queued
		contexts map[string]string // fabric → status context
	}{
		{name: "synchronize from a fork touching dc1", files: files("fabrics/dc1/raw/vpc-2.yaml", "README.md"),
			status: 202, answer: "queued", fabrics: []string{"dc1"}, contexts: map[string]string{"dc1": "fgd-sync/validate/dc1"}},
		{name: "opened touching both fabrics of main", change: func(ev map[string]any) { ev["action"] = "opened" },
			files: files("fabrics/dc1/raw/a.yaml", "fabrics/dc2/raw/b.yaml"), status: 202, answer: "queued", fabrics: []string{"dc1", "dc2"}},
		{name: "reopened", change: func(ev map[string]any) { ev["action"] = "reopened" }, files: files("fabrics/dc2/raw/b.yaml"),
			status: 202, answer: "queued", fabrics: []string{"dc2"}},
		{name: "ready_for_review", change: func(ev map[string]any) { ev["action"] = "ready_for_review" }, files: files("fabrics/dc1/raw/a.yaml"),
			status: 202, answer: "queued", fabrics: []string{"dc1"}},
		{name: "a draft is checked too", change: func(ev map[string]any) { ev["action"] = "opened"; at(ev, "pull_request")["draft"] = true },
			files: files("fabrics/dc1/raw/a.yaml"), status: 202, answer: "queued", fabrics: []string{"dc1"}},
		{name: "a file renamed out of dc1", files: []*gh.CommitFile{{Filename: gh.String("attic/vpc.yaml"), PreviousFilename: gh.String("fabrics/dc1/raw/vpc.yaml"), Status: gh.String("renamed")}},
			status: 202, answer: "queued", fabrics: []string{"dc1"}},
		{name: "the base branch of another fabric", change: func(ev map[string]any) { at(ev, "pull_request.base")["ref"] = "staging" },
			files: files("fabrics/staging/raw/a.yaml"), status: 202, answer: "queued", fabrics: []string{"staging"},
			contexts: map[string]string{"staging": "fgd-sync/validate"}},
		{name: "files outside every fabric", files: files("README.md", "docs/x.md"), status: 200, answer: "ignored", reason: "no change under the fabric path"},
		{name: "files of another branch's fabric", files: files("fabrics/staging/raw/a.yaml"), status: 200, answer: "ignored", reason: "no change under the fabric path"},
		{name: "the API cannot list the files", files: nil, status: 202, answer: "queued", fabrics: []string{"dc1", "dc2"}},
		{name: "no API", noAPI: true, status: 202, answer: "queued", fabrics: []string{"dc1", "dc2"}},
		{name: "base branch not watched", change: func(ev map[string]any) { at(ev, "pull_request.base")["ref"] = "develop" },
			files: files("fabrics/dc1/raw/a.yaml"), status: 200, answer: "ignored", reason: "base branch develop is not watched"},
		{name: "repository not registered", change: func(ev map[string]any) {
			at(ev, "repository")["full_name"] = "other/repo"
			at(ev, "pull_request.base.repo")["full_name"] = "other/repo"
		}, files: files("fabrics/dc1/raw/a.yaml"), status: 200, answer: "ignored", reason: "repository other/repo is not registered"},
		{name: "closed", change: func(ev map[string]any) { ev["action"] = "closed"; at(ev, "pull_request")["state"] = "closed" },
			status: 200, answer: "ignored", reason: "pull_request action closed is not checked"},
		{name: "edited", change: func(ev map[string]any) { ev["action"] = "edited" }, status: 200, answer: "ignored", reason: "pull_request action edited is not checked"},
		{name: "labeled", change: func(ev map[string]any) { ev["action"] = "labeled" }, status: 200, answer: "ignored", reason: "pull_request action labeled is not checked"},
		{name: "synchronize of a closed pull request", change: func(ev map[string]any) { at(ev, "pull_request")["state"] = "closed" },
			status: 200, answer: "ignored", reason: "pull request is closed"},
		{name: "no head sha", change: func(ev map[string]any) { delete(at(ev, "pull_request.head"), "sha") }, status: 400, answer: "FGD_6001"},
		{name: "a head sha that is not one", change: func(ev map[string]any) { at(ev, "pull_request.head")["sha"] = "--upload-pack=touch /tmp/x" },
			status: 400, answer: "FGD_6001"},
		{name: "no number", change: func(ev map[string]any) { delete(at(ev, "pull_request"), "number") }, status: 400, answer: "FGD_6001"},
		{name: "base repository is not the repository", change: func(ev map[string]any) { at(ev, "pull_request.base.repo")["full_name"] = "contributor/fabric-config" },
			status: 400, answer: "FGD_6001"},
		{name: "not a pull_request event's shape", change: func(ev map[string]any) { ev["pull_request"] = "12" }, status: 400, answer: "FGD_6001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPRFixture(t, rs, !tt.noAPI)
			if tt.files != nil {
				f.api.SetPullRequestFiles("acme/fabric-config", 12, tt.files)
			}
			delivery := testredis.Unique("delivery")
			status, ans, eb := f.deliver(delivery, payload(t, tt.change))
			got := ans.Status
			if status >= 400 {
				got = string(eb.Error.Code)
			}
			if status != tt.status || got != tt.answer || ans.Reason != tt.reason {
				t.Fatalf("answer %d %+v %+v; want %d %s %q", status, ans, eb, tt.status, tt.answer, tt.reason)
			}
			queued := f.queued()
			var names []string
			for name := range queued {
				names = append(names, name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.fabrics) {
				t.Fatalf("queued for %v, want %v", names, tt.fabrics)
			}
			for i, name := range tt.fabrics {
				p := queued[name]
				pr := p.PullRequest
				if p.Trigger != jobs.TriggerPullRequest || p.SyncID == "" || p.DeliveryID != delivery || ans.SyncIDs[i] != p.SyncID ||
					pr == nil || pr.Number != 12 || pr.HeadSHA != prHeadSHA || pr.HeadRepository != "contributor/fabric-config" || pr.UpdatedAt.IsZero() {
					t.Fatalf("%s: payload %+v %+v", name, p, pr)
				}
				if want, ok := tt.contexts[name]; ok && pr.StatusContext != want {
					t.Fatalf("%s: status context %q, want %q", name, pr.StatusContext, want)
				}
			}
		})
	}
}

// TestPullRequestRedelivery: the same delivery is queued once, and so is
// the same head re-sent under a new delivery id; a delivery of a new head
// of the same pull request is queued again (the worker decides which head
// is the newest).
func TestPullRequestRedelivery(t *testing.T) {
	f := newPRFixture(t, testredis.New(t), true)
	f.api.SetPullRequestFiles("acme/fabric-config", 12, files("fabrics/dc1/raw/a.yaml"))
	body := payload(t, nil)
	if status, ans, _ := f.deliver("d-1", body); status != 202 || ans.Status != "queued" {
		t.Fatalf("first: %d %+v", status, ans)
	}
	if status, ans, _ := f.deliver("d-1", body); status != 200 || ans.Status != "duplicate" {
		t.Fatalf("redelivery: %d %+v", status, ans)
	}
	if status, ans, _ := f.deliver("d-replayed", body); status != 200 || ans.Status != "duplicate" {
		t.Fatalf("the same head under a new delivery id: %d %+v", status, ans)
	}
	newer := payload(t, func(ev map[string]any) {
		at(ev, "pull_request.head")["sha"] = strings.Repeat("b", 40)
		at(ev, "pull_request")["updated_at"] = "2025-03-01T10:05:00Z"
	})
	if status, ans, _ := f.deliver("d-2", newer); status != 202 || ans.Status != "queued" {
		t.Fatalf("newer: %d %+v", status, ans)
	}
	list, err := f.insp.ListPendingTasks(f.queue)
	if err != nil || len(list) != 2 {
		t.Fatalf("%d tasks, %v", len(list), err)
	}
}
