package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// RecordStore keeps the sync records.
type RecordStore interface {
	PutRecord(ctx context.Context, r *store.Record) error
	GetRecord(ctx context.Context, id string) (*store.Record, error)
}

// loadRecord returns the sync's record: the one the admin API or an earlier
// attempt wrote, or a new one.
func (h *SyncHandler) loadRecord(ctx context.Context, p SyncPayload) (*store.Record, error) {
	rec, err := h.Store.GetRecord(ctx, p.SyncID)
	if errors.Is(err, store.ErrNotFound) {
		created := p.CreatedAt
		if created.IsZero() {
			created = time.Now().UTC()
		}
		return &store.Record{ID: p.SyncID, Fabric: p.Fabric, Trigger: string(p.Trigger), CorrelationID: p.DeliveryID,
			CreatedAt: created, ValidateOnly: p.Options.ValidateOnly}, nil
	}
	if err != nil {
		return nil, fgderr.Retryable(fgderr.Redis, "read sync record", err)
	}
	return rec, nil
}

// markRunning starts this attempt's part of the record: what an earlier
// attempt of the task found is replaced, not added to.
func (h *SyncHandler) markRunning(ctx context.Context, log *slog.Logger, rec *store.Record, fab fabrics.Fabric) error {
	retried, _ := asynq.GetRetryCount(ctx)
	// A run that a dead worker or a shutdown cut short does not count as a
	// failed try for asynq, but it was an attempt: number them all.
	attempt := max(retried+1, rec.Attempt+1)
	if rec.StartedAt == nil {
		attempt = retried + 1
	}
	now := time.Now().UTC()
	rec.State, rec.StartedAt, rec.FinishedAt, rec.Attempt = store.StateRunning, &now, nil, attempt
	rec.Stages, rec.Errors, rec.Warnings = nil, nil, nil
	if err := h.Store.PutRecord(ctx, rec); errors.Is(err, store.ErrRecordFinal) {
		return err
	} else if err != nil {
		return fgderr.Retryable(fgderr.Redis, "write sync record", err)
	}
	log.Info("sync started", "attempt", rec.Attempt, "repository", fab.Repository, "branch", fab.Branch)
	return nil
}

// finish writes the record's final state.
// It returns the error of writing the record, which the caller turns into
// a retry when the outcome would otherwise be lost.
func (h *SyncHandler) finish(ctx context.Context, log *slog.Logger, rec *store.Record, state string, issue *ingestion.Issue) error {
	now := time.Now().UTC()
	rec.State = state
	if state != store.StateRetrying {
		rec.FinishedAt = &now
	}
	if issue != nil {
		rec.Errors = append(rec.Errors, *issue)
	}
	if rec.Errors == nil {
		rec.Errors = []ingestion.Issue{}
	}
	if rec.Warnings == nil {
		rec.Warnings = []ingestion.Issue{}
	}
	// A fresh context: the task's may be done, the record must still go.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.Store.PutRecord(wctx, rec); errors.Is(err, store.ErrRecordFinal) {
		log.Info("sync record left as another run of this task ended it", "state_not_written", state)
		return nil
	} else if err != nil {
		log.Error("could not write the sync record", "error", err)
		return fgderr.Retryable(fgderr.Redis, "write the sync record", err)
	}
	h.Metrics.finished(rec)
	attrs := []any{"state", state, "commit", rec.Commit, "attempt", rec.Attempt}
	if issue != nil {
		attrs = append(attrs, "code", issue.Code, "error", issue.Message)
	}
	log.Info("sync finished", attrs...)
	return nil
}

// ended: the record says the sync succeeded, or that a follow-up covers it.
func ended(rec *store.Record) bool {
	return rec.CoalescedInto != "" || rec.State == store.StateSucceeded || rec.State == store.StatePartial
}

// issueOf turns a failure into the record's error entry.
func issueOf(err error) ingestion.Issue {
	var fe *fgderr.Error
	if !errors.As(err, &fe) {
		return ingestion.Issue{Code: fgderr.SyncFailed, Message: err.Error()}
	}
	msg := fe.Msg
	if fe.Err != nil {
		msg += ": " + fe.Err.Error()
	}
	return ingestion.Issue{Code: fe.Code, Message: msg}
}

// stageTimer records stage durations into the record.
type stageTimer struct {
	rec   *store.Record
	name  string
	start time.Time
}

func startStage(rec *store.Record, name string) *stageTimer {
	return &stageTimer{rec: rec, name: name, start: time.Now()}
}

func (s *stageTimer) done() {
	s.rec.Stages = append(s.rec.Stages, store.Stage{Name: s.name, DurationMS: time.Since(s.start).Milliseconds()})
}
