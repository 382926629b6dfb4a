package handlers_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
)

const (
	testSecret     = "s3cr3t-webhook-value-for-tests"
	rotatedSecret  = "an0ther-rotated-secret-value"
	testAdminToken = "admin-token-value-never-logged"
	testRepo       = "acme/fabric-config"
)

// fixture is the production webhook server (app.NewWebhook) on a real
// Redis of its own, with the fabrics of testFabricsYAML in the registry.
type fixture struct {
	t         *testing.T
	redis     *testredis.Server
	server    *httptest.Server
	inspector *asynq.Inspector
	logs      *syncbuf.Buffer
}

const testFabricsYAML = `
fabrics:
  - name: dc1
    repository: acme/fabric-config
    branch: main
    path: fabrics/dc1
  - name: lab
    repository: acme/lab
`

// openWebhook opens the webhook process on rs as cmd/webhook does, from
// its environment, and returns the public handler.
func openWebhook(t testing.TB, rs *testredis.Server, logs io.Writer, extra map[string]string) http.Handler {
	t.Helper()
	file := filepath.Join(t.TempDir(), "fabrics.yaml")
	if err := os.WriteFile(file, []byte(testFabricsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		config.VarRedisURL: rs.URL, config.VarWebhookSecret: testSecret + "," + rotatedSecret,
		config.VarAdminToken: testAdminToken, config.VarFabricsFile: file,
	}
	maps.Copy(env, extra)
	cfg, err := config.Load(config.RoleWebhook, nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := app.Open(ctx, cfg, app.NewLogger(logs, cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	wh, err := app.NewWebhook(p, app.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close(); cancel(); p.Close() })
	return wh.Handler()
}

func newFixture(t *testing.T, rs *testredis.Server) *fixture {
	t.Helper()
	if rs == nil {
		rs = testredis.NewPrivate(t, testredis.Options{})
	}
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	f := &fixture{t: t, redis: rs, logs: &syncbuf.Buffer{}}
	f.server = httptest.NewServer(openWebhook(t, rs, f.logs, map[string]string{config.VarLogLevel: "debug"}))
	t.Cleanup(f.server.Close)
	f.inspector = asynq.NewInspectorFromRedisClient(rdb)
	webhooktest.NoSecretsInLogs(t, f.logs.String, testSecret, rotatedSecret, testAdminToken)
	return f
}

// tasks returns the sync tasks waiting in the fixture's queue.
func (f *fixture) tasks() []*asynq.TaskInfo {
	f.t.Helper()
	return webhooktest.PendingTasks(f.t, f.inspector, jobs.DefaultQueue)
}

func sign(secret string, body []byte) string { return webhooktest.Sign(secret, body) }

type req struct {
	event, delivery, contentType string
	body                         []byte
	headers                      map[string]string
	unsigned                     bool
	chunked                      bool
}

func (f *fixture) send(r req) (*http.Response, map[string]any) {
	f.t.Helper()
	return webhooktest.Send(f.t, f.server.URL, testSecret, webhooktest.Request{Event: r.event, Delivery: r.delivery,
		ContentType: r.contentType, Body: r.body, Headers: r.headers, Unsigned: r.unsigned, Chunked: r.chunked})
}

func pushEvent(repo, ref string, files ...string) *gh.PushEvent {
	return webhooktest.PushEvent(repo, ref, files...)
}

func mustJSON(t testing.TB, v any) []byte { t.Helper(); return webhooktest.MustJSON(t, v) }

func TestBadInputs(t *testing.T) {
	f := newFixture(t, nil)
	push := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	sha1sig := func(b []byte) string {
		m := hmac.New(sha1.New, []byte(testSecret))
		m.Write(b)
		return "sha1=" + hex.EncodeToString(m.Sum(nil))
	}
	big := bytes.Repeat([]byte(" "), 26<<20)
	tests := []struct {
		name     string
		req      req
		status   int
		code     string
		response string // status field of a 2xx answer
	}{
		{name: "missing signature", req: req{event: "push", body: push, unsigned: true}, status: 401, code: "FGD_6002"},
		{name: "wrong secret", req: req{event: "push", body: push, headers: map[string]string{"X-Hub-Signature-256": sign("wrong", push)}}, status: 401, code: "FGD_6002"},
		{name: "SHA-1 only", req: req{event: "push", body: push, unsigned: true, headers: map[string]string{"X-Hub-Signature": sha1sig(push)}}, status: 401, code: "FGD_6002"},
		{name: "sha1 value in the sha256 header", req: req{event: "push", body: push, headers: map[string]string{"X-Hub-Signature-256": sha1sig(push)}}, status: 401, code: "FGD_6002"},
		{name: "26 MiB body with length", req: req{event: "push", body: big}, status: 413, code: "FGD_1006"},
		{name: "26 MiB body chunked", req: req{event: "push", body: big, chunked: true}, status: 413, code: "FGD_1006"},
		{name: "malformed JSON", req: req{event: "push", body: []byte(`{"ref": "refs/heads/main",`)}, status: 400, code: "FGD_6001"},
		{name: "JSON of the wrong shape", req: req{event: "push", body: []byte(`{"ref": 7}`)}, status: 400, code: "FGD_6001"},
		{name: "wrong content type", req: req{event: "push", body: push, contentType: "text/plain"}, status: 415, code: "FGD_6001"},
		{name: "missing event header", req: req{body: push}, status: 400, code: "FGD_6001"},
		{name: "form without payload", req: req{event: "push", body: []byte("foo=bar"), contentType: "application/x-www-form-urlencoded"}, status: 400, code: "FGD_6001"},
		{name: "unknown event", req: req{event: "fgd_no_such_event", body: []byte(`{"zen":"x"}`)}, status: 200, response: "ignored"},
		{name: "other known event", req: req{event: "issues", body: []byte(`{"action":"opened"}`)}, status: 200, response: "ignored"},
		{name: "ping", req: req{event: "ping", body: mustJSON(t, &gh.PingEvent{Zen: gh.String("Keep it logically awesome."), HookID: gh.Int64(1)})}, status: 200, response: "ignored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := f.send(tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.status, out)
			}
			if tc.code != "" {
				e, _ := out["error"].(map[string]any)
				if e["code"] != tc.code || e["message"] == "" {
					t.Fatalf("error %v, want code %s with a message", out, tc.code)
				}
			}
			if tc.response != "" && (out["status"] != tc.response || out["reason"] == "") {
				t.Fatalf("answer %v, want status %q with a reason", out, tc.response)
			}
		})
	}
	if n := len(f.tasks()); n != 0 {
		t.Fatalf("%d tasks queued by bad deliveries, want 0", n)
	}
}

func TestSignatureVectorOverHTTP(t *testing.T) {
	f := newFixture(t, nil)
	// A valid signature gets past 401: the body is then judged as JSON.
	resp, _ := f.send(req{event: "push", body: []byte("Hello, World!")})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("signed non-JSON body: status %d, want 400", resp.StatusCode)
	}
	// A rotated secret is accepted too.
	body := mustJSON(t, &gh.PingEvent{Zen: gh.String("zen")})
	resp, out := f.send(req{event: "ping", body: body, headers: map[string]string{"X-Hub-Signature-256": sign(rotatedSecret, body)}})
	if resp.StatusCode != http.StatusOK || out["status"] != "ignored" {
		t.Fatalf("rotated secret: %d %v", resp.StatusCode, out)
	}
}

func TestPushShapes(t *testing.T) {
	deleted := pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml")
	deleted.Deleted = gh.Bool(true)
	deleted.After = gh.String("0000000000000000000000000000000000000000")
	truncated := pushEvent(testRepo, "refs/heads/main", "docs/readme.md")
	truncated.Size = gh.Int(25) // GitHub listed fewer commits than were pushed
	created := pushEvent(testRepo, "refs/heads/main")

	tests := []struct {
		name   string
		event  *gh.PushEvent
		status int
		answer string
		tasks  int
	}{
		{"branch push touching the fabric", pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/vpcs.yaml"), 202, "queued", 1},
		{"repository name in another case", pushEvent("ACME/Fabric-Config", "refs/heads/main", "fabrics/dc1/raw/vpcs.yaml"), 202, "queued", 1},
		{"fabric at the repository root", pushEvent("acme/lab", "refs/heads/main", "anything.yaml"), 202, "queued", 1},
		{"commit list possibly truncated", truncated, 202, "queued", 1},
		{"no commit listed", created, 202, "queued", 1},
		{"tag push", pushEvent(testRepo, "refs/tags/v1.0.0", "fabrics/dc1/raw/a.yaml"), 200, "ignored", 0},
		{"branch deletion", deleted, 200, "ignored", 0},
		{"another branch", pushEvent(testRepo, "refs/heads/feature", "fabrics/dc1/raw/a.yaml"), 200, "ignored", 0},
		{"another repository", pushEvent("acme/other", "refs/heads/main", "fabrics/dc1/raw/a.yaml"), 200, "ignored", 0},
		{"not under the fabric path", pushEvent(testRepo, "refs/heads/main", "docs/readme.md", "fabrics/dc10/raw/a.yaml"), 200, "ignored", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			delivery := testredis.Unique("delivery")
			resp, out := f.send(req{event: "push", body: mustJSON(t, tc.event), delivery: delivery})
			if resp.StatusCode != tc.status || out["status"] != tc.answer {
				t.Fatalf("answer %d %v, want %d %s", resp.StatusCode, out, tc.status, tc.answer)
			}
			tasks := f.tasks()
			if len(tasks) != tc.tasks {
				t.Fatalf("%d tasks in Redis, want %d", len(tasks), tc.tasks)
			}
			if tc.tasks == 0 {
				return
			}
			ids, _ := out["sync_ids"].([]any)
			if len(ids) != 1 || ids[0] != tasks[0].ID {
				t.Fatalf("sync_ids %v, want the task id %s", ids, tasks[0].ID)
			}
			p, err := jobs.ParseSyncPayload(tasks[0].Payload)
			if err != nil {
				t.Fatal(err)
			}
			if p.Trigger != jobs.TriggerWebhook || p.DeliveryID != delivery || p.Ref != tc.event.GetRef() ||
				p.Before != tc.event.GetBefore() || p.After != tc.event.GetAfter() || p.SyncID != tasks[0].ID {
				t.Fatalf("payload %+v does not carry the push", p)
			}
			if tasks[0].Retention < 72*time.Hour {
				t.Fatalf("retention %s, want at least 3 days so redeliveries stay duplicates", tasks[0].Retention)
			}
		})
	}
}

func TestFormEncodedPush(t *testing.T) {
	f := newFixture(t, nil)
	payload := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	resp, out := f.send(req{event: "push", body: body, contentType: "application/x-www-form-urlencoded"})
	if resp.StatusCode != http.StatusAccepted || len(f.tasks()) != 1 {
		t.Fatalf("form push: %d %v, %d tasks", resp.StatusCode, out, len(f.tasks()))
	}
}

func TestDuplicateDeliveries(t *testing.T) {
	f := newFixture(t, nil)
	body := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	const n = 100
	statuses := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, out := f.send(req{event: "push", body: body, delivery: "redelivered-0001"})
			statuses[i] = fmt.Sprintf("%d %v", resp.StatusCode, out["status"])
		}(i)
	}
	wg.Wait()
	counts := map[string]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts["202 queued"] != 1 || counts["200 duplicate"] != n-1 {
		t.Fatalf("answers %v, want one 202 queued and %d 200 duplicate", counts, n-1)
	}
	if got := len(f.tasks()); got != 1 {
		t.Fatalf("%d tasks for one delivery id, want 1", got)
	}
}

// TestRedisDownAndBack: with Redis down a delivery is refused with 503
// FGD_5003 at once, and accepted again once Redis is back. Redis keeps its
// data (AOF, fsync on every write here), so the registry survives it.
func TestRedisDownAndBack(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{AOF: true})
	if rdb, err := redisconn.Open(rs.URL); err == nil {
		_ = rdb.ConfigSet(context.Background(), "appendfsync", "always").Err() // miniredis keeps its data anyway
		_ = rdb.Close()
	}
	f := newFixture(t, rs)
	body := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	if resp, out := f.send(req{event: "push", body: body}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("before the outage: %d %v", resp.StatusCode, out)
	}

	rs.Stop()
	start := time.Now()
	resp, out := f.send(req{event: "push", body: body})
	t.Logf("answer with Redis down took %s", time.Since(start))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("with Redis down: %d %v, want 503", resp.StatusCode, out)
	}
	if e, _ := out["error"].(map[string]any); e["code"] != "FGD_5003" {
		t.Fatalf("with Redis down: error %v, want FGD_5003", out)
	}
	if r, err := http.Get(f.server.URL + "/readyz"); err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: %v %v", r, err)
	}

	rs.Start()
	f.waitAccepted("Redis is back")
	if r, err := http.Get(f.server.URL + "/readyz"); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("readyz with Redis back: %v %v", r, err)
	}
}

// TestRedisFrozen covers a Redis that accepts connections but never answers:
// the enqueue deadline still turns it into a 503, not a hung request.
func TestRedisFrozen(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	f := newFixture(t, rs)
	body := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	if !rs.Freeze() {
		t.Skip("redis-server is not installed: a miniredis cannot be frozen")
	}
	defer rs.Thaw()
	start := time.Now()
	resp, out := f.send(req{event: "push", body: body})
	t.Logf("answer with Redis frozen took %s", time.Since(start))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("with Redis frozen: %d %v, want 503", resp.StatusCode, out)
	}
	rs.Thaw()
	f.waitAccepted("Redis thawed")
}

// waitAccepted sends new pushes (pushes are de-duplicated on ref, before
// and after) until one is queued, with a deadline: the server must recover
// with no restart.
func (f *fixture) waitAccepted(situation string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; ; n++ {
		ev := pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml")
		ev.Before = gh.String(fmt.Sprintf("%040x", n+1))
		resp, out := f.send(req{event: "push", body: mustJSON(f.t, ev)})
		if resp.StatusCode == http.StatusAccepted {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s but the server still answers %d %v", situation, resp.StatusCode, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHealthAndMetrics: the probes answer, and /metrics counts the
// deliveries and times their enqueue, next to the build.
func TestHealthAndMetrics(t *testing.T) {
	f := newFixture(t, nil)
	body := mustJSON(t, pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml"))
	if resp, out := f.send(req{event: "push", body: body}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push: %d %v", resp.StatusCode, out)
	}
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
		"/metrics": `fgd_webhook_deliveries_total{event="push",outcome="queued"} 1`,
	} {
		resp, err := http.Get(f.server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s, want %s", path, resp.StatusCode, b, want)
		}
	}
	text := metricsText(t, f.server.URL)
	for _, want := range []string{"fgd_webhook_enqueue_duration_seconds_bucket", "fgd_build_info{"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s in /metrics", want)
		}
	}
}

func metricsText(t *testing.T, base string) string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
