package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/store"
)

// activeTasks is what asynq's inspector lists as running.
type activeTasks []*asynq.TaskInfo

func (a activeTasks) ListActiveTasks(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error) {
	return a, nil
}

// TestRescueOrphans: an orphaned sync (its lease expired) is handed to the
// fabric's follow-up, which covers it and reaches a final record; a sync
// still leased, one whose record has ended, and a pull request's check are
// left alone.
func TestRescueOrphans(t *testing.T) {
	st := newTestStore(t)
	tests := []struct {
		name        string
		orphaned    bool
		trigger     Trigger
		recordState string // "" for no record yet
		lockHeld    bool   // its run still renews the fabric lock
		claimed     bool   // another worker claimed the rescue
		wantRescued bool
	}{
		{name: "orphaned webhook sync", orphaned: true, trigger: TriggerWebhook, wantRescued: true},
		{name: "orphaned sync that had started", orphaned: true, trigger: TriggerScheduled, recordState: store.StateRunning, wantRescued: true},
		{name: "still leased", trigger: TriggerWebhook},
		{name: "orphaned, but its record has ended", orphaned: true, trigger: TriggerWebhook, recordState: store.StateSucceeded},
		{name: "orphaned pull request check", orphaned: true, trigger: TriggerPullRequest},
		{name: "orphaned in asynq, but its run holds the fabric lock", orphaned: true, trigger: TriggerWebhook, lockHeld: true},
		{name: "orphaned, claimed by another worker", orphaned: true, trigger: TriggerWebhook, claimed: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("orphan%d", i)}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
			p := SyncPayload{SyncID: fmt.Sprintf("orphan-%d", i), Fabric: e.fabric.Name, Trigger: tc.trigger, CreatedAt: time.Now().UTC()}
			if tc.trigger == TriggerPullRequest {
				p.PullRequest = &PullRequestTarget{Number: 7, HeadSHA: "0123456789abcdef0123456789abcdef01234567", UpdatedAt: p.CreatedAt}
			}
			if tc.recordState != "" {
				if err := st.PutRecord(ctx, &store.Record{ID: p.SyncID, Fabric: p.Fabric, State: tc.recordState, CreatedAt: p.CreatedAt}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.lockHeld {
				if got, _, err := st.TryLock(ctx, p.Fabric, p.SyncID+"/run", DefaultLockTTL); err != nil || !got {
					t.Fatalf("lock: %v %v", got, err)
				}
			}
			if tc.claimed {
				if _, err := st.ClaimOnce(ctx, "rescue:"+p.SyncID, time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			task, err := NewSyncTask(p)
			if err != nil {
				t.Fatal(err)
			}
			active := activeTasks{{ID: p.SyncID, Type: task.Type(), Payload: task.Payload(), IsOrphaned: tc.orphaned}}
			n, err := e.h.RescueOrphans(ctx, active)
			if err != nil {
				t.Fatal(err)
			}
			if got := n == 1; got != tc.wantRescued {
				t.Fatalf("rescued %d, want rescued: %v", n, tc.wantRescued)
			}
			if !tc.wantRescued {
				if len(e.queue.Tasks()) != 0 {
					t.Fatalf("a follow-up was queued for a sync left alone")
				}
				return
			}
			follow := e.onlyFollowUp(t)
			if err := e.h.HandleSyncTask(ctx, follow); err != nil {
				t.Fatalf("follow-up: %v", err)
			}
			fp, _ := ParseSyncPayload(follow.Payload())
			if into := e.record(t, p.SyncID).CoalescedInto; into != fp.SyncID {
				t.Fatalf("orphan coalesced into %q, want %s", into, fp.SyncID)
			}
			if rec := e.record(t, fp.SyncID); rec.State != store.StateSucceeded || len(rec.Covers) != 1 || rec.Covers[0] != p.SyncID {
				t.Fatalf("follow-up record %s covers %v", rec.State, rec.Covers)
			}
			if pushed, _ := e.remote.Pushed(); len(pushed) != 1 {
				t.Fatalf("pushed %v, want the follow-up's one push", pushed)
			}
			// asynq's recoverer runs the orphan again later: it finds its
			// trigger covered and does nothing.
			if err := e.h.HandleSyncTask(ctx, task); err != nil {
				t.Fatalf("the orphan run again: %v", err)
			}
			if rec := e.record(t, p.SyncID); rec.CoalescedInto != fp.SyncID || len(rec.Warnings) != 1 {
				t.Fatalf("the orphan's record after its rerun: coalesced into %q, warnings %v", rec.CoalescedInto, rec.Warnings)
			}
			if pushed, _ := e.remote.Pushed(); len(pushed) != 1 || len(e.queue.Tasks()) != 1 {
				t.Fatalf("the orphan's rerun pushed (%v) or queued (%d tasks)", pushed, len(e.queue.Tasks()))
			}
		})
	}
}
