package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// FabricSource finds a registered fabric by name.
type FabricSource interface {
	Fabric(ctx context.Context, name string) (fabrics.Fabric, error)
}

// SyncStore is the Redis state a sync uses: records, the fabric lock, the
// coalesced follow-up and the inventory.
type SyncStore interface {
	RecordStore
	LockStore
	LockReader
	FollowUpStore
	InventoryStore
	FabricStateStore
	// ClaimOnce is true for the first caller of key within ttl.
	ClaimOnce(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Enqueuer enqueues tasks (the coalesced follow-up).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Defaults of SyncHandler.
const (
	DefaultLockTTL         = 15 * time.Second
	DefaultMaxPushAttempts = 5
	DefaultSyncTimeout     = 10 * time.Minute
	DefaultFollowUpDelay   = 2 * time.Second
	StatusContextPrefix    = "fgd-sync"
)

// SyncHandler runs fgd:sync and fgd:init tasks: under the fabric's lease,
// one or more attempts of fetch, ingest, commit and push, then the report.
// Build it as a struct literal; the zero durations and counts take the
// defaults above.
type SyncHandler struct {
	Logger    *slog.Logger
	Fabrics   FabricSource
	Store     SyncStore
	Repos     Repositories
	Reporters Reporters // nil, or a nil Reporter: no statuses, check runs or pull requests
	Queue     Enqueuer
	Bundle    *ingestion.Bundle
	APIURL    string // for the default clone URL of GHES
	Timeout   time.Duration
	LockTTL   time.Duration
	Attempts  int            // push attempts when the remote moves
	TaskOpts  []asynq.Option // for follow-up tasks (the queue)
	Metrics   *SyncMetrics   // nil: no metrics

	// MaxRawBytes bounds the raw/ bytes one sync reads
	// (ingestion.DefaultMaxRawBytes when zero).
	MaxRawBytes int64
}

// HandleSyncTask processes one sync task.
func (h *SyncHandler) HandleSyncTask(ctx context.Context, t *asynq.Task) error {
	p, err := syncPayloadOf(ctx, t)
	if err != nil {
		h.Logger.ErrorContext(ctx, "sync task rejected", "error", err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if p.Trigger == TriggerPullRequest {
		return h.validatePullRequest(ctx, p)
	}
	log := h.Logger.With("sync_id", p.SyncID, "fabric", p.Fabric, "delivery_id", p.DeliveryID, "trigger", string(p.Trigger))
	rec, err := h.loadRecord(ctx, p)
	if err != nil {
		return err
	}
	if ended(rec) {
		// Another run of this task finished it, or a follow-up covers it
		// (a rescued orphan that asynq's recoverer runs again).
		log.Info("sync already ended in another run; nothing to do", "state", rec.State, "coalesced_into", rec.CoalescedInto)
		return nil
	}
	fab, err := h.fabric(ctx, log, p, rec)
	if err != nil {
		return err
	}
	l, holder, err := h.acquire(ctx, log, fab.Name, p.SyncID)
	if err != nil {
		return err
	}
	if l == nil {
		return h.coalesce(ctx, log, p, rec, holder)
	}
	defer l.release(ctx)
	h.claim(ctx, log, p, rec)
	p.Options.ValidateOnly = rec.ValidateOnly // a follow-up's, merged
	syncCtx, cancel := context.WithTimeoutCause(ctx, h.timeout(p), errSyncTimeout)
	defer cancel()
	l.keep(syncCtx, cancel)
	if err := h.markRunning(ctx, log, rec, fab); errors.Is(err, store.ErrRecordFinal) {
		log.Info("sync already ended in another run; nothing to do")
		return nil
	} else if err != nil {
		return err
	}
	err = (&syncRun{h: h, log: log, lease: l, fab: fab, p: p, rec: rec}).run(syncCtx)
	return h.conclude(ctx, log, rec, explain(ctx, syncCtx, l, h.timeout(p), err))
}

// syncPayloadOf decodes the task; a scheduled sync takes its id from the
// asynq task id, since the scheduler enqueues the same payload every time.
func syncPayloadOf(ctx context.Context, t *asynq.Task) (SyncPayload, error) {
	p, err := ParseSyncPayload(t.Payload())
	if err != nil {
		return p, err
	}
	if p.SyncID == "" {
		p.SyncID, _ = asynq.GetTaskID(ctx)
		if p.CreatedAt.IsZero() {
			p.CreatedAt = time.Now().UTC()
		}
	}
	return p, nil
}

// fabric looks up the sync's fabric; an unknown one ends the sync failed.
func (h *SyncHandler) fabric(ctx context.Context, log *slog.Logger, p SyncPayload, rec *store.Record) (fabrics.Fabric, error) {
	fab, err := h.Fabrics.Fabric(ctx, p.Fabric)
	if errors.Is(err, fabrics.ErrUnknownFabric) {
		issue := issueOf(fgderr.New(fgderr.GitHubNotFound, "fabric %q is not registered (deleted?)", p.Fabric))
		if werr := h.finish(ctx, log, rec, store.StateFailed, &issue); werr != nil {
			return fab, werr // retried, so that the record is written
		}
		return fab, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		return fab, fgderr.Retryable(fgderr.Store, "look up fabric", err)
	}
	return fab, nil
}

func (h *SyncHandler) timeout(p SyncPayload) time.Duration {
	if p.Options.TimeoutSeconds > 0 {
		return time.Duration(p.Options.TimeoutSeconds) * time.Second
	}
	if h.Timeout > 0 {
		return h.Timeout
	}
	return DefaultSyncTimeout
}

func (h *SyncHandler) lockTTL() time.Duration {
	if h.LockTTL > 0 {
		return h.LockTTL
	}
	return DefaultLockTTL
}

func (h *SyncHandler) attempts() int {
	if h.Attempts > 0 {
		return h.Attempts
	}
	return DefaultMaxPushAttempts
}

var errSyncTimeout = errors.New("sync timeout")

// explain says why the run failed when the cause lies outside it: the
// worker is shutting down, the lease was lost, or the sync timed out.
func explain(taskCtx, syncCtx context.Context, l *lease, timeout time.Duration, err error) error {
	if err == nil {
		return nil
	}
	if taskCtx.Err() != nil {
		// asynq cancels a task's context when the worker's shutdown timeout
		// runs out, and puts the task back in the queue: not a failure.
		return fgderr.Retryable(fgderr.SyncCancelled, "the worker stopped before the sync finished; the task goes back to the queue and runs again", err)
	}
	if why := l.lost(); why != "" && fgderr.CodeOf(err) != fgderr.SyncFailed {
		err = errLockLost(why, err)
	}
	if errors.Is(context.Cause(syncCtx), errSyncTimeout) {
		// Retried with backoff, as GitHub may just be slow; a sync that
		// always times out is archived once the retries run out.
		err = fgderr.Retryable(fgderr.SyncTimeout, fmt.Sprintf("the sync took longer than %s", timeout), err)
	}
	return err
}

// conclude turns the run's outcome into the record's final state and the
// task's answer to asynq: nil, a retryable error, or SkipRetry.
func (h *SyncHandler) conclude(ctx context.Context, log *slog.Logger, rec *store.Record, err error) error {
	h.Metrics.stages(rec)
	if err == nil {
		// A record that could not be written would leave an accepted
		// delivery with no outcome: retry, and the retry finds its own
		// earlier commit by its FGD-Sync-Id trailer.
		return h.finish(ctx, log, rec, rec.State, nil)
	}
	// The GitHub side redacted secrets where the error was made.
	issue := issueOf(err)
	transient, _ := fgderr.IsTransient(err)
	// A task interrupted by the worker's shutdown is requeued by asynq
	// whatever its retry count.
	interrupted := ctx.Err() != nil
	if transient && (!finalAttempt(ctx) || interrupted) {
		_ = h.finish(ctx, log, rec, store.StateRetrying, &issue) // retried either way
		return err                                               // asynq retries it; RetryDelay reads its RetryAfter
	}
	if werr := h.finish(ctx, log, rec, store.StateFailed, &issue); werr != nil && !finalAttempt(ctx) {
		return werr // the outcome is not recorded yet: retry to record it
	}
	if transient {
		return err // retries exhausted: asynq archives it
	}
	return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
}

// finalAttempt tells whether asynq will not retry this task again.
func finalAttempt(ctx context.Context) bool {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return ok && retried >= maxRetry
}
