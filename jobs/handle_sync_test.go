package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/store"
)

// TestPushRetry: a branch that moves between fetch and push makes the
// sync redo its attempt on the new head, up to the attempt limit.
func TestPushRetry(t *testing.T) {
	st := newTestStore(t)
	tests := []struct {
		name      string
		moves     int // how many pushes find the branch moved
		attempts  int
		wantErr   fgderr.Code
		wantPush  bool
		wantState string
	}{
		{"lands first time", 0, 3, "", true, store.StateSucceeded},
		{"moved once", 1, 3, "", true, store.StateSucceeded},
		{"moved twice", 2, 3, "", true, store.StateSucceeded},
		{"kept moving", 3, 3, fgderr.SyncFailed, false, store.StateRetrying},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSyncEnv(t, st, fabrics.Fabric{Name: strings.ReplaceAll(tc.name, " ", "-")}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
			e.h.Attempts = tc.attempts
			moved := 0
			e.remote.beforePush = func(r *fakeRemote) {
				if moved < tc.moves {
					moved++
					r.Push(map[string]string{"README.md": strings.Repeat("x", moved)}, "a person's commit\n")
				}
			}
			err := e.run(t.Context(), SyncPayload{SyncID: "s-" + tc.name})
			pushed, _ := e.remote.Pushed()
			rec := e.record(t, "s-"+tc.name)
			if tc.wantErr != "" {
				if transient, _ := fgderr.IsTransient(err); !transient || fgderr.CodeOf(err) != tc.wantErr || errors.Is(err, asynq.SkipRetry) {
					t.Fatalf("err = %v, want a retryable %s", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if (len(pushed) == 1) != tc.wantPush || len(pushed) > 1 {
				t.Fatalf("pushed %v, want a push: %v", pushed, tc.wantPush)
			}
			if rec.State != tc.wantState {
				t.Fatalf("state %s, want %s", rec.State, tc.wantState)
			}
			if tc.wantPush {
				if rec.Commit != pushed[0] || e.remote.Head() != pushed[0] {
					t.Fatalf("record commit %s, pushed %v, head %s", rec.Commit, pushed, e.remote.Head())
				}
				if msg := e.remote.Message(pushed[0]); !strings.Contains(msg, "\nFGD-Sync-Id: s-"+tc.name+"\n") {
					t.Fatalf("commit message lacks the sync id trailer:\n%s", msg)
				}
			}
		})
	}
}

// TestLockHeldElsewhere: a trigger that finds another sync running leaves
// one follow-up and ends coalesced; the follow-up's own task waits.
func TestLockHeldElsewhere(t *testing.T) {
	st := newTestStore(t)
	e := newSyncEnv(t, st, fabrics.Fabric{}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
	ctx := t.Context()
	if got, _, err := st.TryLock(ctx, "dc1", "running/1", e.h.lockTTL()); err != nil || !got {
		t.Fatalf("lock: %v %v", got, err)
	}
	for _, id := range []string{"t-1", "t-2"} {
		if err := e.run(ctx, SyncPayload{SyncID: id}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	tasks := e.queue.Tasks()
	if len(tasks) != 2 {
		t.Fatalf("%d follow-up tasks enqueued, want one per trigger (the same task id)", len(tasks))
	}
	follow, err := ParseSyncPayload(tasks[0].Payload())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"t-1", "t-2"} {
		rec := e.record(t, id)
		if rec.CoalescedInto != follow.SyncID || rec.State != store.StateSucceeded || len(rec.Warnings) != 1 || rec.Warnings[0].Code != fgderr.SyncInProgress {
			t.Fatalf("%s: %+v", id, rec)
		}
	}
	if err := e.h.HandleSyncTask(ctx, tasks[0]); !errors.Is(err, ErrWaitingForLock) {
		t.Fatalf("the follow-up ran beside the running sync: %v", err)
	}
	if pushed, _ := e.remote.Pushed(); len(pushed) != 0 {
		t.Fatalf("pushed %v while another sync held the lock", pushed)
	}
}

// TestShutdownInterruptsWithoutFailing: when the worker's shutdown timeout
// cancels a running sync, asynq puts the task back; its record says it is
// retrying (FGD_3003), not failed, even on its last attempt, and nothing
// is pushed.
func TestShutdownInterruptsWithoutFailing(t *testing.T) {
	st := newTestStore(t)
	e := newSyncEnv(t, st, fabrics.Fabric{Name: "shutdown"}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
	ctx, cancel := context.WithCancel(t.Context())
	e.remote.beforePush = func(*fakeRemote) { cancel() } // SIGTERM's timeout runs out mid-sync
	err := e.run(ctx, SyncPayload{SyncID: "s-shutdown"})
	if fgderr.CodeOf(err) != fgderr.SyncCancelled || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want a retryable FGD_3003", err)
	}
	rec := e.record(t, "s-shutdown")
	if rec.State != store.StateRetrying || len(rec.Errors) != 1 || rec.Errors[0].Code != fgderr.SyncCancelled {
		t.Fatalf("record %s %+v, want retrying with FGD_3003", rec.State, rec.Errors)
	}
	if pushed, _ := e.remote.Pushed(); len(pushed) != 0 {
		t.Fatalf("pushed %v after the shutdown", pushed)
	}
}
