package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
)

// TestReplicasFollowTheAPI: two webhook replicas, each with its own
// connection and its registry held in memory, on one Redis. A fabric
// created through the admin API is routed by both within 1 s; once it is
// deleted, neither routes it any more, within 1 s as well.
func TestReplicasFollowTheAPI(t *testing.T) {
	rs := testredis.New(t)
	prefix := testredis.Unique("reg") + ":"
	queue := testredis.Unique("replicas")
	log := slog.New(slog.DiscardHandler)
	open := func() *registry.Registry {
		rdb, err := redisconn.Open(rs.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		t.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(queue, true) })
		return registry.New(rdb, prefix)
	}
	client := func() *asynq.Client {
		rdb, err := redisconn.Open(rs.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return asynq.NewClientFromRedisClient(rdb)
	}

	admin := httptest.NewServer(NewRouter(RouterConfig{
		Webhook: http.NotFoundHandler(), Logger: log,
		Admin: (&AdminAPI{Token: []byte(testAdminToken), Registry: open(), Queue: client(), Logger: log,
			TaskOptions: []asynq.Option{asynq.Queue(queue)}}).Routes(),
	}))
	t.Cleanup(admin.Close)
	var replicas []string
	for range 2 {
		srv := httptest.NewServer(NewRouter(RouterConfig{Logger: log, Webhook: &WebhookHandler{
			Secrets: [][]byte{[]byte(testSecret)}, Fabrics: registry.NewCache(open(), registry.DefaultCacheMaxAge),
			Queue: client(), Metrics: NewMetrics(prometheus.NewRegistry()), Logger: log,
			TaskOptions: []asynq.Option{asynq.Queue(queue)},
		}}))
		t.Cleanup(srv.Close)
		replicas = append(replicas, srv.URL)
	}

	const repo = "acme/created-by-api"
	route := func(replica string) string {
		ev := webhooktest.PushEvent(repo, "refs/heads/main", "dc9/raw/a.yaml")
		ev.After = gh.String(randomSHA())
		body := webhooktest.MustJSON(t, ev)
		code, _, out, err := post(replica, bytes.NewReader(body), int64(len(body)), deliveryHeaders("push", testredis.Unique("d"), webhooktest.Sign(testSecret, body)))
		if err != nil {
			t.Fatal(err)
		}
		if code == http.StatusAccepted {
			return "queued"
		}
		if code != http.StatusOK || out["status"] != "ignored" {
			t.Fatalf("push: %d %v", code, out)
		}
		return "ignored"
	}
	// Both replicas have loaded the registry before the fabric exists.
	for i, r := range replicas {
		if got := route(r); got != "ignored" {
			t.Fatalf("replica %d before the fabric exists: %s", i, got)
		}
	}
	within := func(what, want string) {
		t.Helper()
		changed := time.Now()
		for i, r := range replicas {
			for route(r) != want {
				if time.Since(changed) > time.Second {
					t.Fatalf("replica %d: push still not %s 1 s after the fabric was %s", i, want, what)
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("replica %d: push %s %s after the fabric was %s", i, want, time.Since(changed).Round(time.Millisecond), what)
		}
	}

	call := func(method, path, body string, want int) {
		t.Helper()
		req, err := http.NewRequest(method, admin.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
		}
	}
	call(http.MethodPost, "/api/v1/fabrics", `{"name":"dc9","repository":"`+repo+`","path":"dc9"}`, http.StatusCreated)
	within("created", "queued")
	call(http.MethodDelete, "/api/v1/fabrics/dc9", "", http.StatusOK)
	within("deleted", "ignored")
}
