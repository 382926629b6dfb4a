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
		wantRescued bool
	}{
		{"orphaned webhook sync", true, TriggerWebhook, "", true},
		{"orphaned sync that had started", true, TriggerScheduled, store.StateRunning, true},
		{"still leased", false, TriggerWebhook, "", false},
		{"orphaned, but its record has ended", true, TriggerWebhook, store.StateSucceeded, false},
		{"orphaned pull request check", true, TriggerPullRequest, "", false},
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
		})
	}
}
