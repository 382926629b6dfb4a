package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// FollowUpStore keeps, per fabric, the one pending follow-up sync that
// covers the triggers which arrived while a sync ran, and the queued mark
// of a manual sync.
type FollowUpStore interface {
	AddFollowUp(ctx context.Context, fabric string, payload []byte) ([]byte, error)
	TakeFollowUp(ctx context.Context, fabric string) ([]byte, error)
	ClearQueued(ctx context.Context, fabric, id string) error
}

// claim is the first thing a sync does under the lock: it is no longer
// queued, and it covers a pending follow-up, since it reads the newest head.
func (h *SyncHandler) claim(ctx context.Context, log *slog.Logger, p SyncPayload) {
	if err := h.Store.ClearQueued(ctx, p.Fabric, p.SyncID); err != nil {
		log.Warn("could not clear the queued mark", "error", err)
	}
	if pending, err := h.Store.TakeFollowUp(ctx, p.Fabric); err == nil && pending != nil {
		// The follow-up task will find nothing to do.
		log.Debug("sync covers a pending follow-up", "follow_up", string(pending))
	}
}

// coalesce answers a trigger that arrives while another sync of the fabric
// runs: one follow-up sync is scheduled for all such triggers.
func (h *SyncHandler) coalesce(ctx context.Context, log *slog.Logger, p SyncPayload, rec *store.Record, holder string) error {
	if strings.HasPrefix(holder, p.SyncID+"/") {
		// Our own earlier attempt, now dead, still holds the lease.
		return ErrWaitingForLock
	}
	follow := SyncPayload{SyncID: uuid.NewString(), Fabric: p.Fabric, Trigger: p.Trigger, Ref: p.Ref, Before: p.Before, After: p.After,
		DeliveryID: p.DeliveryID, CreatedAt: time.Now().UTC()}
	b, _ := json.Marshal(follow)
	pending, err := h.Store.AddFollowUp(ctx, p.Fabric, b)
	if err != nil {
		return fgderr.Retryable(fgderr.Redis, "coalesce the trigger", err)
	}
	followUp, err := ParseSyncPayload(pending)
	if err != nil {
		return fmt.Errorf("pending follow-up: %w", err)
	}
	if followUp.SyncID == p.SyncID {
		return ErrWaitingForLock // this task is the follow-up: wait for the running sync
	}
	task, err := NewSyncTask(followUp, append(append([]asynq.Option(nil), h.TaskOpts...), asynq.ProcessIn(DefaultFollowUpDelay))...)
	if err != nil {
		return err
	}
	if _, err := h.Queue.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fgderr.Retryable(fgderr.Redis, "enqueue the follow-up sync", err)
	}
	if err := h.Store.ClearQueued(ctx, p.Fabric, p.SyncID); err != nil {
		log.Warn("could not clear the queued mark", "error", err)
	}
	now := time.Now().UTC()
	rec.State, rec.FinishedAt, rec.CoalescedInto = store.StateSucceeded, &now, followUp.SyncID
	rec.Warnings = []ingestion.Issue{{Code: fgderr.SyncInProgress,
		Message: fmt.Sprintf("sync %s of this fabric was running; this trigger is covered by follow-up sync %s", strings.SplitN(holder, "/", 2)[0], followUp.SyncID)}}
	if err := h.Store.PutRecord(ctx, rec); err != nil {
		return fgderr.Retryable(fgderr.Redis, "write sync record", err)
	}
	log.Info("sync coalesced into a follow-up", "follow_up", followUp.SyncID, "running", holder)
	return nil
}
