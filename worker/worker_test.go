package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// TestWorkerConsumes runs the real asynq server against Redis: a sync of a
// fabric with nothing to ingest completes, a garbage task is archived
// without retries.
func TestWorkerConsumes(t *testing.T) {
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	queue := testredis.Unique("worker")
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.DeleteQueue(queue, true) })

	git := gittest.New(t, gittest.Options{})
	list, err := fabrics.Parse([]byte("fabrics:\n  - {name: dc1, repository: acme/x, clone_url: " + git.RepoURL() + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	sync := &jobs.SyncHandler{Logger: log, Fabrics: fabrics.NewStaticIndex(list), Store: store.New(rdb, testredis.Unique("w")+":"),
		Repos: jobs.GitCache{RepoCache: &gitcache.RepoCache{Dir: t.TempDir(), Allowed: github.AllowedRemotes{git.URL + "/"}}}, Queue: asynq.NewClientFromRedisClient(rdb), Bundle: bundle}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Redis: rdb, Concurrency: 2, Queues: map[string]int{queue: 1},
			Logger: log, ShutdownTimeout: 5 * time.Second, Sync: sync})
	}()

	client := asynq.NewClientFromRedisClient(rdb)
	good, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "sync-good", Fabric: "dc1", Trigger: jobs.TriggerWebhook, DeliveryID: "d-1"}, asynq.Queue(queue))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(good); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(asynq.NewTask(jobs.TypeSync, []byte("{"), asynq.TaskID("sync-bad"), asynq.Queue(queue), asynq.MaxRetry(5))); err != nil {
		t.Fatal(err)
	}

	waitState(t, insp, queue, "sync-good", asynq.TaskStateCompleted)
	info := waitState(t, insp, queue, "sync-bad", asynq.TaskStateArchived)
	if info.Retried != 0 {
		t.Fatalf("a garbage payload was retried %d times", info.Retried)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not shut down")
	}
}

func waitState(t *testing.T, insp *asynq.Inspector, queue, id string, want asynq.TaskState) *asynq.TaskInfo {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := insp.GetTaskInfo(queue, id)
		if err == nil && info.State == want {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s never reached %v: %+v %v", id, want, info, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
