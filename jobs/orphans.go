package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/syncrecord"
)

// ActiveTasks lists the tasks asynq holds as running (asynq.Inspector).
type ActiveTasks interface {
	ListActiveTasks(queue string, opts ...asynq.ListOption) ([]*asynq.TaskInfo, error)
}

// orphanPage bounds how many running tasks one rescue looks at.
const orphanPage = 500

// orphanClaimTTL is how long one worker's claim on an orphan keeps the
// others off it: far longer than a rescue takes (a few Redis round trips),
// short enough that a rescue that failed is tried again soon.
const orphanClaimTTL = 20 * time.Second

// RescueOrphans hands every orphaned sync to its fabric's follow-up sync and
// returns how many it handed over. An orphan is a running task whose lease
// expired: its worker died, or it ran on a Redis lineage that a failover
// dropped. asynq's recoverer takes it up only once its lease has been
// expired for 30 s, and runs once a minute: up to two minutes in all. The
// follow-up runs within seconds, reads the branch's newest head and so
// covers the orphan's trigger, and the orphan's record points to it. When
// asynq runs the orphan again, it syncs a fabric already in step.
func (h *SyncHandler) RescueOrphans(ctx context.Context, active ActiveTasks) (int, error) {
	tasks, err := active.ListActiveTasks(DefaultQueue, asynq.PageSize(orphanPage))
	if err != nil {
		return 0, fmt.Errorf("list running tasks: %w", err)
	}
	rescued := 0
	var errs []error
	for _, t := range tasks {
		if !t.IsOrphaned || t.Type != TypeSync {
			continue
		}
		ok, err := h.rescue(ctx, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("sync %s: %w", t.ID, err))
		}
		if ok {
			rescued++
		}
	}
	return rescued, errors.Join(errs...)
}

// rescue hands one orphan over, unless its record has ended or it is a
// pull request's check (which a follow-up of the branch does not cover).
func (h *SyncHandler) rescue(ctx context.Context, t *asynq.TaskInfo) (bool, error) {
	p, err := ParseSyncPayload(t.Payload)
	if err != nil || p.Trigger == TriggerPullRequest {
		return false, nil // asynq's own recovery runs it
	}
	if p.SyncID == "" {
		p.SyncID = t.ID // a scheduled sync
	}
	rec, err := h.loadRecord(ctx, p)
	if err != nil {
		return false, err
	}
	if syncrecord.Terminal(rec.State) || rec.CoalescedInto != "" {
		return false, nil
	}
	// A run that still renews the fabric's lock is alive, whatever asynq's
	// lease says (a worker that lost Redis for a moment); a dead one's lock
	// runs out within its 15 s lease.
	holder, err := h.Store.LockHolder(ctx, p.Fabric)
	if err != nil {
		return false, err
	}
	if strings.HasPrefix(holder, p.SyncID+"/") {
		return false, nil
	}
	// Every worker scans; one hands each orphan over.
	if first, err := h.Store.ClaimOnce(ctx, "rescue:"+t.ID, orphanClaimTTL); err != nil || !first {
		return false, err
	}
	log := h.Logger.With("sync_id", p.SyncID, "fabric", p.Fabric, "delivery_id", p.DeliveryID, "trigger", string(p.Trigger))
	err = h.joinFollowUp(ctx, log, p, rec, func(followUp string) string {
		return "the worker running this sync stopped (its lease expired); follow-up sync " + followUp + " covers this trigger"
	})
	if errors.Is(err, ErrWaitingForLock) {
		return false, nil // the orphan is the pending follow-up itself: asynq's recovery runs it
	}
	if err != nil {
		return false, err
	}
	log.Warn("orphaned sync handed to a follow-up", "follow_up", rec.CoalescedInto)
	return true, nil
}
