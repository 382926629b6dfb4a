package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
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
	t.Cleanup(func() { _ = f.inspector.DeleteQueue(f.queue, true) })
	webhooktest.NoSecretsInLogs(t, f.logs.String, testSecret, rotatedSecret, testAdminToken)
	return f
}

// tasks returns the sync tasks waiting in the fixture's queue.
func (f *fixture) tasks() []*asynq.TaskInfo {
	f.t.Helper()
	return webhooktest.PendingTasks(f.t, f.inspector, f.queue)
}

// send posts a delivery to the fixture's server, signed with testSecret
// unless r says otherwise.
func (f *fixture) send(r webhooktest.Request) (*http.Response, map[string]any) {
	f.t.Helper()
	return webhooktest.Send(f.t, f.server.URL, testSecret, r)
}

func randomSHA() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
