package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// TestWorkerConsumes runs the real asynq server against Redis: a valid sync
// task completes, a garbage one is archived without retries.
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

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Redis: rdb, Concurrency: 2, Queues: map[string]int{queue: 1},
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), ShutdownTimeout: 5 * time.Second})
	}()

	client := asynq.NewClientFromRedisClient(rdb)
	good, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "sync-good", Fabric: "dc1", Trigger: jobs.TriggerManual}, asynq.Queue(queue))
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
