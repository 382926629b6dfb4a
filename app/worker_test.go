package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// TestWorkerConsumes runs the production worker against a real Redis: a
// sync task is consumed and written back, a garbage task is archived without
// retries, /healthz and /metrics are served while it runs, and /healthz
// stops once it shuts down.
func TestWorkerConsumes(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	w := newWorld(t, rs.URL, "0")
	w.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")
	wk, stop := w.worker(nil)

	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	client := asynq.NewClientFromRedisClient(rdb)
	good, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "sync-good", Fabric: "dc1", Trigger: jobs.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(good); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(asynq.NewTask(jobs.TypeSync, []byte("{"), asynq.TaskID("sync-bad"), asynq.Queue(jobs.DefaultQueue), asynq.MaxRetry(5))); err != nil {
		t.Fatal(err)
	}
	rec := waitRecord(t, store.New(rdb, ""), "sync-good", time.Minute)
	if rec.State != store.StateSucceeded || w.git.Tree("main")["managed/vpcs/vpc-1.yaml"] == "" {
		t.Fatalf("record %+v, tree %v", rec, w.git.Tree("main"))
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	var bad *asynq.TaskInfo
	waitFor(t, 20*time.Second, "the garbage task to be archived", func() bool {
		bad, err = insp.GetTaskInfo(jobs.DefaultQueue, "sync-bad")
		return err == nil && bad.State == asynq.TaskStateArchived
	})
	if bad.Retried != 0 {
		t.Fatalf("a garbage payload was retried %d times", bad.Retried)
	}

	base := "http://" + wk.HealthAddr()
	for path, want := range map[string]string{"/healthz": `"ok"`, "/metrics": "fgd_build_info{"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	stop()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the health endpoint still answers after the worker stopped")
	}
}
