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
	AddFollowUp(ctx context.Context, fabric, id string, payload []byte, covered string, writes bool) (*store.FollowUp, error)
	TakeFollowUp(ctx context.Context, fabric, id string) (*store.FollowUp, error)
	ClearQueued(ctx context.Context, fabric, id string) error
}

// claim is the first thing a sync does under the lock. It is no longer
// queued; and when it is a follow-up, it takes over what the triggers it
// covers asked for: it writes only if one of them asked to write. Another
// sync leaves a pending follow-up alone, as that one may owe a write this
// sync will not make; it runs next.
func (h *SyncHandler) claim(ctx context.Context, log *slog.Logger, p SyncPayload, rec *store.Record) {
	if err := h.Store.ClearQueued(ctx, p.Fabric, p.SyncID); err != nil {
		log.Warn("could not clear the queued mark", "error", err)
	}
	f, err := h.Store.TakeFollowUp(ctx, p.Fabric, p.SyncID)
	if err != nil {
		// The follow-up stays pending and runs again later: nothing is lost.
		log.Warn("could not take the pending follow-up", "error", err)
		return
	}
	if f != nil {
		rec.Covers, rec.ValidateOnly = f.Covers, !f.Writes
		log.Info("follow-up sync covers triggers", "covers", strings.Join(f.Covers, ","), "writes", f.Writes)
	}
}

// coalesce answers a trigger that arrives while another sync of the fabric
// runs: it joins the fabric's one pending follow-up, which runs after the
// current sync, reads the newest head, and writes if any trigger it covers
// asked to.
func (h *SyncHandler) coalesce(ctx context.Context, log *slog.Logger, p SyncPayload, rec *store.Record, holder string) error {
	if strings.HasPrefix(holder, p.SyncID+"/") {
		// Our own earlier attempt, now dead, still holds the lease.
		return ErrWaitingForLock
	}
	running := strings.SplitN(holder, "/", 2)[0]
	err := h.joinFollowUp(ctx, log, p, rec, func(followUp string) string {
		return fmt.Sprintf("sync %s of this fabric was running; this trigger is covered by follow-up sync %s", running, followUp)
	})
	if err == nil {
		log.Info("sync coalesced into a follow-up", "follow_up", rec.CoalescedInto, "running", holder)
	}
	return err
}

// joinFollowUp makes the fabric's pending follow-up cover p, enqueues the
// follow-up and ends p's record as coalesced into it, with the warning
// that explain gives for the follow-up's id.
func (h *SyncHandler) joinFollowUp(ctx context.Context, log *slog.Logger, p SyncPayload, rec *store.Record, explain func(followUp string) string) error {
	// A new follow-up starts as validate-only as this trigger is; the
	// record of the sync it becomes carries the merged options.
	proposed := SyncPayload{SyncID: uuid.NewString(), Fabric: p.Fabric, Trigger: p.Trigger, Ref: p.Ref, Before: p.Before, After: p.After,
		DeliveryID: p.DeliveryID, CreatedAt: time.Now().UTC(), Options: SyncOptions{ValidateOnly: rec.ValidateOnly}}
	b, err := json.Marshal(proposed)
	if err != nil {
		return fmt.Errorf("encode the follow-up: %w", err)
	}
	pending, err := h.Store.AddFollowUp(ctx, p.Fabric, proposed.SyncID, b, p.SyncID, !rec.ValidateOnly)
	if err != nil {
		return fgderr.Retryable(fgderr.Redis, "coalesce the trigger", err)
	}
	if pending.ID == p.SyncID {
		return ErrWaitingForLock // this task is the follow-up: wait for the running sync
	}
	followUp, err := ParseSyncPayload(pending.Payload)
	if err != nil {
		return fmt.Errorf("pending follow-up: %w", err)
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
	rec.Warnings = []ingestion.Issue{{Code: fgderr.SyncInProgress, Message: explain(followUp.SyncID)}}
	if err := h.Store.PutRecord(ctx, rec); errors.Is(err, store.ErrRecordFinal) {
		return nil // another run ended it; the follow-up runs all the same
	} else if err != nil {
		return fgderr.Retryable(fgderr.Redis, "write sync record", err)
	}
	h.Metrics.coalesced(rec)
	return nil
}
