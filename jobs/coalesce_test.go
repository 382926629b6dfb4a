package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/store"
)

// TestCoalescingKeepsMeaning: triggers that arrive while a sync runs are
// covered by one follow-up, which writes only if one of them asked to; its
// record lists them and each of theirs points at it.
func TestCoalescingKeepsMeaning(t *testing.T) {
	st := newTestStore(t)
	tests := []struct {
		name      string
		triggers  []SyncPayload // arrive while another sync holds the lock
		wantWrite bool
	}{
		{"validate-only manual sync alone", []SyncPayload{{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}}}, false},
		{"two validate-only manual syncs", []SyncPayload{
			{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}},
			{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}}}, false},
		{"validate-only, then a webhook", []SyncPayload{
			{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}},
			{Trigger: TriggerWebhook}}, true},
		{"a webhook, then validate-only", []SyncPayload{
			{Trigger: TriggerWebhook},
			{Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}}}, true},
		{"a scheduled sync alone", []SyncPayload{{Trigger: TriggerScheduled}}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("co%d", i)}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
			if got, _, err := st.TryLock(ctx, e.fabric.Name, "running/1", DefaultLockTTL); err != nil || !got {
				t.Fatalf("lock: %v %v", got, err)
			}
			var covered []string
			for n, p := range tc.triggers {
				p.SyncID = fmt.Sprintf("%s-t%d", e.fabric.Name, n)
				covered = append(covered, p.SyncID)
				if err := e.run(ctx, p); err != nil {
					t.Fatalf("trigger %d: %v", n, err)
				}
			}
			if err := st.Unlock(ctx, e.fabric.Name, "running/1"); err != nil {
				t.Fatal(err)
			}
			follow := e.onlyFollowUp(t)
			if err := e.h.HandleSyncTask(ctx, follow); err != nil {
				t.Fatalf("follow-up: %v", err)
			}
			p, _ := ParseSyncPayload(follow.Payload())
			rec := e.record(t, p.SyncID)
			if !slices.Equal(rec.Covers, covered) {
				t.Fatalf("follow-up covers %v, want %v", rec.Covers, covered)
			}
			for _, id := range covered {
				if into := e.record(t, id).CoalescedInto; into != p.SyncID {
					t.Fatalf("%s coalesced into %q, want %s", id, into, p.SyncID)
				}
			}
			pushed, _ := e.remote.Pushed()
			if tc.wantWrite != (len(pushed) == 1) || len(pushed) > 1 || rec.ValidateOnly == tc.wantWrite {
				t.Fatalf("pushed %v, validate_only %v; want a write: %v", pushed, rec.ValidateOnly, tc.wantWrite)
			}
			if rec.State != store.StateSucceeded || rec.Counts.ResourcesCreated != 1 {
				t.Fatalf("follow-up record %s %+v", rec.State, rec.Counts)
			}
			if !tc.wantWrite && (rec.Commit != "" || len(e.gh.finalStatuses()) != 0 || slices.ContainsFunc(rec.Stages, func(s store.Stage) bool { return s.Name == "commit" })) {
				t.Fatalf("a validate-only follow-up committed or reported: commit %q statuses %v stages %v", rec.Commit, e.gh.finalStatuses(), rec.Stages)
			}
		})
	}
}

// TestFollowUpOutlivesOtherSyncs: a sync that is not the follow-up leaves
// the pending follow-up alone, so a validate-only sync cannot swallow a
// write it owes.
func TestFollowUpOutlivesOtherSyncs(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	e := newSyncEnv(t, st, fabrics.Fabric{}, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
	if got, _, _ := st.TryLock(ctx, "dc1", "running/1", DefaultLockTTL); !got {
		t.Fatal("lock")
	}
	if err := e.run(ctx, SyncPayload{SyncID: "webhook-1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock(ctx, "dc1", "running/1"); err != nil {
		t.Fatal(err)
	}
	// A validate-only manual sync gets the lock before the follow-up.
	if err := e.run(ctx, SyncPayload{SyncID: "manual-1", Trigger: TriggerManual, Options: SyncOptions{ValidateOnly: true}}); err != nil {
		t.Fatal(err)
	}
	if pushed, _ := e.remote.Pushed(); len(pushed) != 0 {
		t.Fatalf("the validate-only sync pushed %v", pushed)
	}
	follow := e.onlyFollowUp(t)
	if err := e.h.HandleSyncTask(ctx, follow); err != nil {
		t.Fatal(err)
	}
	p, _ := ParseSyncPayload(follow.Payload())
	if rec := e.record(t, p.SyncID); !slices.Equal(rec.Covers, []string{"webhook-1"}) || rec.Commit == "" {
		t.Fatalf("follow-up %+v", rec)
	}
	if pushed, _ := e.remote.Pushed(); len(pushed) != 1 {
		t.Fatalf("the webhook's write was lost: pushed %v", pushed)
	}
}

// onlyFollowUp is the follow-up task enqueued, the same for every trigger.
func (e *syncEnv) onlyFollowUp(t *testing.T) *asynq.Task {
	t.Helper()
	tasks := e.queue.Tasks()
	if len(tasks) == 0 {
		t.Fatal("no follow-up enqueued")
	}
	for _, task := range tasks[1:] {
		if string(task.Payload()) != string(tasks[0].Payload()) {
			t.Fatalf("two follow-ups: %s and %s", tasks[0].Payload(), task.Payload())
		}
	}
	if !strings.Contains(string(tasks[0].Payload()), `"sync_id"`) {
		t.Fatalf("follow-up payload %s", tasks[0].Payload())
	}
	return tasks[0]
}
