package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// TestDashboardRefusesCrossSiteChanges drives the real Asynqmon behind the
// router: a pause with the dashboard's password but from another site is
// answered 403 FGD_6003 and the queue stays unpaused; the same call from the
// dashboard's own pages pauses it. Reads are not affected.
func TestDashboardRefusesCrossSiteChanges(t *testing.T) {
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	opt, err := asynq.ParseRedisURI(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	mon := asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: opt})
	t.Cleanup(func() { _ = mon.Close() })
	srv := httptest.NewServer(NewRouter(RouterConfig{
		Webhook:    http.NotFoundHandler(),
		Logger:     slog.New(slog.DiscardHandler),
		Monitoring: BasicAuth([]byte(testAdminToken), mon),
	}))
	t.Cleanup(srv.Close)
	own := srv.URL
	host := must(url.Parse(srv.URL)).Host

	queue := testredis.Unique("csrf")
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = inspector.DeleteQueue(queue, true) })
	if _, err := asynq.NewClientFromRedisClient(rdb).EnqueueContext(context.Background(), asynq.NewTask("fgd:test", nil), asynq.Queue(queue)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
		paused  bool
	}{
		{name: "cross-site Origin", headers: map[string]string{"Origin": "https://evil.example"}, status: 403},
		{name: "cross-site, as a browser says it", headers: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "a sibling site", headers: map[string]string{"Origin": "http://dashboard." + host, "Sec-Fetch-Site": "same-site"}, status: 403},
		{name: "opaque Origin (sandboxed page)", headers: map[string]string{"Origin": "null"}, status: 403},
		{name: "own Origin on another scheme", headers: map[string]string{"Origin": "https://" + host}, status: 403},
		{name: "no Origin and no Sec-Fetch-Site", status: 403},
		{name: "own Origin", headers: map[string]string{"Origin": own}, status: 204, paused: true},
		{name: "Sec-Fetch-Site: same-origin", headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, status: 204, paused: true},
		{name: "own https Origin behind a TLS proxy", headers: map[string]string{"Origin": "https://" + host, "X-Forwarded-Proto": "https"}, status: 204, paused: true},
		{name: "a read from another site", method: http.MethodGet, headers: map[string]string{"Origin": "https://evil.example"}, status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, path := http.MethodPost, "/monitoring/api/queues/"+queue+":pause"
			if tc.method != "" {
				method, path = tc.method, "/monitoring/api/queues"
			}
			req, err := http.NewRequest(method, srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("admin", testAdminToken)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, body, tc.status)
			}
			if tc.status == 403 {
				var out errorBody
				if err := json.Unmarshal(body, &out); err != nil || out.Error.Code != "FGD_6003" || out.Error.Message == "" {
					t.Fatalf("refusal %s, want FGD_6003 with a message", body)
				}
			}
			info, err := inspector.GetQueueInfo(queue)
			if err != nil {
				t.Fatal(err)
			}
			if info.Paused != tc.paused {
				t.Fatalf("queue paused: %v, want %v", info.Paused, tc.paused)
			}
			if info.Paused {
				if err := inspector.UnpauseQueue(queue); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
