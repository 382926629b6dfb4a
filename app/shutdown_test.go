package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// TestShutdown: on SIGTERM (its context cancelled) a worker takes no new
// task, and a running sync either finishes within the shutdown timeout or
// goes back to the queue when the timeout ends, for the next worker to
// complete. Either way the push lands once.
func TestShutdown(t *testing.T) {
	const shutdownTimeout = 2 * time.Second
	tests := []struct {
		name string
		// releaseDuringShutdown lets the blocked push through while the
		// worker shuts down; otherwise it is let through only after.
		releaseDuringShutdown bool
		wantState             asynq.TaskState // of the task once the worker stopped
	}{
		{"a sync that finishes in time", true, asynq.TaskStateCompleted},
		{"a sync that outlasts the timeout", false, asynq.TaskStatePending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := testredis.NewPrivate(t, testredis.Options{})
			w := newWorld(t, rs.URL, "0")
			head := w.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")
			public, _ := w.webhook(nil)
			extra := map[string]string{config.VarShutdownTimeout: shutdownTimeout.String()}
			_, stop := w.worker(extra)
			inPush, release := make(chan struct{}), make(chan struct{})
			w.git.BeforeNextPush(func() { close(inPush); <-release })
			t.Cleanup(func() {
				select {
				case <-release:
				default:
					close(release)
				}
			})

			code, out := push(t, public.URL, "shutdown-"+tc.name, head, "raw/vpc.yaml")
			if code != http.StatusAccepted {
				t.Fatalf("webhook: %d %v", code, out)
			}
			id := syncIDs(out)[0]
			select {
			case <-inPush:
			case <-time.After(time.Minute):
				t.Fatal("the sync never pushed")
			}
			stopped := make(chan time.Duration, 1)
			go func() { stopped <- stop() }()
			if tc.releaseDuringShutdown {
				close(release)
			}
			var took time.Duration
			select {
			case took = <-stopped:
			case <-time.After(shutdownTimeout + 30*time.Second):
				t.Fatal("the worker did not stop")
			}
			t.Logf("the worker stopped %s after SIGTERM (shutdown timeout %s)", took.Round(time.Millisecond), shutdownTimeout)

			rdb, err := redisconn.Open(rs.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(jobs.DefaultQueue, id)
			if err != nil || info.State != tc.wantState {
				t.Fatalf("task after shutdown: %+v %v, want state %v", info, err, tc.wantState)
			}
			if !tc.releaseDuringShutdown {
				close(release)
				w.worker(extra) // the next worker picks the task up
			}
			// The record of a sync cut short by the shutdown may show the
			// cut attempt for a moment; the task's next run decides.
			st := store.New(rdb, "")
			var rec *store.Record
			waitFor(t, time.Minute, "the sync to succeed", func() bool {
				rec, err = st.GetRecord(context.Background(), id)
				return err == nil && rec.State == store.StateSucceeded
			})
			var bots int
			for _, c := range w.git.Log("main") {
				if c.Author == "fgd-sync" {
					bots++
				}
			}
			if rec.State != store.StateSucceeded || bots != 1 || w.git.Tree("main")["managed/vpcs/vpc-1.yaml"] == "" {
				t.Fatalf("record %+v, %d bot commits", rec, bots)
			}
		})
	}
}
