package jobs

import (
	"errors"
	"testing"

	"github.com/hibiken/asynq"
)

func TestNewSyncTask(t *testing.T) {
	p := SyncPayload{SyncID: WebhookSyncID("d-1", "dc1"), Fabric: "dc1", Trigger: TriggerWebhook, Ref: "refs/heads/main", DeliveryID: "d-1"}
	task, err := NewSyncTask(p)
	if err != nil {
		t.Fatal(err)
	}
	if task.Type() != TypeSync {
		t.Fatalf("type %s", task.Type())
	}
	got, err := ParseSyncPayload(task.Payload())
	if err != nil || got != p {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}

func TestWebhookSyncIDIsStable(t *testing.T) {
	a, b := WebhookSyncID("d-1", "dc1"), WebhookSyncID("d-1", "dc1")
	if a != b {
		t.Fatal("a redelivery must map to the same sync id")
	}
	for _, other := range []string{WebhookSyncID("d-2", "dc1"), WebhookSyncID("d-1", "dc2"), WebhookSyncID("d-1d", "c1")} {
		if other == a {
			t.Fatalf("distinct deliveries or fabrics share an id: %s", a)
		}
	}
}

func TestInvalidPayloads(t *testing.T) {
	tests := []struct {
		name string
		p    SyncPayload
	}{
		{"no sync id", SyncPayload{Fabric: "dc1", Trigger: TriggerManual}},
		{"no fabric", SyncPayload{SyncID: "x", Trigger: TriggerManual}},
		{"unknown trigger", SyncPayload{SyncID: "x", Fabric: "dc1", Trigger: "cron"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSyncTask(tc.p); !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := ParseSyncPayload([]byte("{")); !errors.Is(err, ErrInvalidPayload) {
		t.Fatalf("garbage payload: %v", err)
	}
}

func TestHandleSyncTaskRejectsGarbageWithoutRetry(t *testing.T) {
	h := &SyncHandler{Logger: discardLogger()}
	err := h.HandleSyncTask(t.Context(), asynq.NewTask(TypeSync, []byte("not json")))
	if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, ErrInvalidPayload) {
		t.Fatalf("err = %v, want SkipRetry and ErrInvalidPayload", err)
	}
}
