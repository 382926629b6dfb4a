package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// FabricSource finds a registered fabric by name.
type FabricSource interface {
	Fabric(ctx context.Context, name string) (fabrics.Fabric, error)
}

// SyncStore is the Redis state a sync uses: records, the fabric lock and the
// coalesced follow-up.
type SyncStore interface {
	PutRecord(ctx context.Context, r *store.Record) error
	GetRecord(ctx context.Context, id string) (*store.Record, error)
	TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error)
	RenewLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context, fabric, owner string) error
	AddFollowUp(ctx context.Context, fabric string, payload []byte) ([]byte, error)
	TakeFollowUp(ctx context.Context, fabric string) ([]byte, error)
	ClearQueued(ctx context.Context, fabric, id string) error
	PutInventory(ctx context.Context, fabric string, items []store.Resource) error
	DropFabric(ctx context.Context, fabric string) error
}

// Repositories opens a fabric's clone at the remote head.
type Repositories interface {
	Open(ctx context.Context, key, repository, url, branch, fabricPath string) (*gitcache.Checkout, error)
	Drop(key string) error
}

// APIs gives the GitHub API client of a repository.
type APIs interface {
	API(ctx context.Context, repository string) (*github.API, error)
	App() bool
}

// Enqueuer enqueues tasks (the coalesced follow-up).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// ErrWaitingForLock means another sync of the fabric runs: the task is
// retried shortly, and the wait does not count as a failed attempt.
var ErrWaitingForLock = errors.New("another sync of this fabric is running")

// Defaults of SyncHandler.
const (
	DefaultLockTTL         = 15 * time.Second
	DefaultMaxPushAttempts = 5
	DefaultSyncTimeout     = 10 * time.Minute
	DefaultFollowUpDelay   = 2 * time.Second
	StatusContextPrefix    = "fgd-sync"
)

// SyncHandler runs fgd:sync tasks: fetch, ingest, commit, push, report.
type SyncHandler struct {
	Logger   *slog.Logger
	Fabrics  FabricSource
	Store    SyncStore
	Repos    Repositories
	APIs     APIs // nil, or a nil API: no commit statuses, check runs or pull requests
	Queue    Enqueuer
	Bundle   *ingestion.Bundle
	APIURL   string // for the default clone URL of GHES
	Timeout  time.Duration
	LockTTL  time.Duration
	Attempts int            // push attempts when the remote moves
	TaskOpts []asynq.Option // for follow-up tasks (the queue)

	// MaxRawBytes bounds the raw/ bytes one sync reads
	// (ingestion.DefaultMaxRawBytes when zero).
	MaxRawBytes int64
}

func (h *SyncHandler) lockTTL() time.Duration {
	if h.LockTTL > 0 {
		return h.LockTTL
	}
	return DefaultLockTTL
}

// HandleSyncTask processes one sync task.
func (h *SyncHandler) HandleSyncTask(ctx context.Context, t *asynq.Task) error {
	p, err := ParseSyncPayload(t.Payload())
	if err != nil {
		h.Logger.ErrorContext(ctx, "sync task rejected", "error", err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if p.SyncID == "" {
		p.SyncID, _ = asynq.GetTaskID(ctx)
		if p.CreatedAt.IsZero() {
			p.CreatedAt = time.Now().UTC()
		}
	}
	log := h.Logger.With("sync_id", p.SyncID, "fabric", p.Fabric, "delivery_id", p.DeliveryID, "trigger", string(p.Trigger))
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	final := retried >= maxRetry

	rec, err := h.Store.GetRecord(ctx, p.SyncID)
	if errors.Is(err, store.ErrNotFound) {
		created := p.CreatedAt
		if created.IsZero() {
			created = time.Now().UTC()
		}
		rec = &store.Record{ID: p.SyncID, Fabric: p.Fabric, Trigger: string(p.Trigger), CorrelationID: p.DeliveryID,
			CreatedAt: created, ValidateOnly: p.Options.ValidateOnly}
	} else if err != nil {
		return fgderr.Retryable(fgderr.Redis, "read sync record", err)
	}

	fab, err := h.Fabrics.Fabric(ctx, p.Fabric)
	if err != nil {
		if errors.Is(err, fabrics.ErrUnknownFabric) {
			issue := issueOf(fgderr.New(fgderr.GitHubNotFound, "fabric %q is not registered (deleted?)", p.Fabric))
			h.finish(ctx, log, rec, store.StateFailed, &issue)
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return fgderr.Retryable(fgderr.Store, "look up fabric", err)
	}

	owner := p.SyncID + "/" + randomToken()
	got, holder, err := h.Store.TryLock(ctx, fab.Name, owner, h.lockTTL())
	if err != nil {
		return fgderr.Retryable(fgderr.Redis, "take the fabric lock", err)
	}
	if !got {
		return h.coalesce(ctx, log, p, rec, holder)
	}
	defer func() {
		// A fresh context: the sync's may be done, the lock must still go.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := h.Store.Unlock(uctx, fab.Name, owner); err != nil {
			log.Warn("could not release the fabric lock; it expires by itself", "error", err)
		}
	}()
	if err := h.Store.ClearQueued(ctx, fab.Name, p.SyncID); err != nil {
		log.Warn("could not clear the queued mark", "error", err)
	}
	if pending, err := h.Store.TakeFollowUp(ctx, fab.Name); err == nil && pending != nil {
		// This sync reads the newest head, so it covers the pending trigger;
		// the follow-up task will find nothing to do.
		log.Debug("sync covers a pending follow-up", "follow_up", string(pending))
	}

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultSyncTimeout
	}
	if p.Options.TimeoutSeconds > 0 {
		timeout = time.Duration(p.Options.TimeoutSeconds) * time.Second
	}
	syncCtx, cancel := context.WithTimeoutCause(ctx, timeout, errSyncTimeout)
	defer cancel()
	lost := h.keepLock(syncCtx, cancel, fab.Name, owner, log)

	now := time.Now().UTC()
	rec.State, rec.StartedAt, rec.FinishedAt, rec.Attempt = store.StateRunning, &now, nil, retried+1
	rec.Stages, rec.Errors, rec.Warnings = nil, nil, nil
	if err := h.Store.PutRecord(ctx, rec); err != nil {
		return fgderr.Retryable(fgderr.Redis, "write sync record", err)
	}
	log.Info("sync started", "attempt", rec.Attempt, "repository", fab.Repository, "branch", fab.Branch)

	err = h.run(syncCtx, log, fab, p, rec)
	if lost() && err != nil {
		err = fgderr.Retryable(fgderr.SyncFailed, "lost the fabric lock during the sync", err)
	}
	if errors.Is(context.Cause(syncCtx), errSyncTimeout) && err != nil {
		// Retried with backoff, as GitHub may just be slow; a sync that
		// always times out is archived once the retries run out.
		err = fgderr.Retryable(fgderr.SyncTimeout, fmt.Sprintf("the sync took longer than %s", timeout), err)
	}
	if err == nil {
		h.finish(ctx, log, rec, rec.State, nil)
		return nil
	}
	// The GitHub side redacted secrets where the error was made.
	issue := issueOf(err)
	if transient, _ := fgderr.IsTransient(err); transient && !final {
		h.finish(ctx, log, rec, store.StateRetrying, &issue)
		return err // asynq retries it; RetryDelay reads its RetryAfter
	}
	h.finish(ctx, log, rec, store.StateFailed, &issue)
	if transient, _ := fgderr.IsTransient(err); transient {
		return err // retries exhausted: asynq archives it
	}
	return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
}

var errSyncTimeout = errors.New("sync timeout")

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

// keepLock renews the lock until ctx ends; losing it cancels the sync. It
// returns a function that tells whether the lock was lost.
func (h *SyncHandler) keepLock(ctx context.Context, cancel context.CancelFunc, fabric, owner string, log *slog.Logger) func() bool {
	lostCh := make(chan struct{})
	go func() {
		tick := time.NewTicker(h.lockTTL() / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				ok, err := h.Store.RenewLock(ctx, fabric, owner, h.lockTTL())
				if err == nil && !ok {
					log.Error("the fabric lock was lost; stopping the sync")
					close(lostCh)
					cancel()
					return
				}
				if err != nil {
					log.Warn("could not renew the fabric lock", "error", err)
				}
			}
		}
	}()
	return func() bool {
		select {
		case <-lostCh:
			return true
		default:
			return false
		}
	}
}

// finish writes the record's final state.
func (h *SyncHandler) finish(ctx context.Context, log *slog.Logger, rec *store.Record, state string, issue *ingestion.Issue) {
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
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.Store.PutRecord(wctx, rec); err != nil {
		log.Error("could not write the sync record", "error", err)
	}
	attrs := []any{"state", state, "commit", rec.Commit, "attempt", rec.Attempt}
	if issue != nil {
		attrs = append(attrs, "code", issue.Code, "error", issue.Message)
	}
	log.Info("sync finished", attrs...)
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

// run does the work under the lock: fetch → ingest → commit → push →
// report, redoing fetch to push when the remote moved.
func (h *SyncHandler) run(ctx context.Context, log *slog.Logger, fab fabrics.Fabric, p SyncPayload, rec *store.Record) error {
	url := gitcache.CloneURL(fab.CloneURL, h.APIURL, fab.Repository)
	if p.Options.ForceRefresh {
		if err := h.Repos.Drop(fab.Name); err != nil {
			return &fgderr.Error{Code: fgderr.Internal, Msg: "drop the cached clone", Err: err}
		}
	}
	attempts := h.Attempts
	if attempts <= 0 {
		attempts = DefaultMaxPushAttempts
	}
	statusCtx := StatusContextPrefix + "/" + fab.Name
	api, err := h.api(ctx, fab.Repository)
	if err != nil {
		return err
	}
	var processed string
	for try := 1; ; try++ {
		st := startStage(rec, "fetch")
		co, err := h.Repos.Open(ctx, fab.Name, fab.Repository, url, fab.Branch, fab.Path)
		st.done()
		if err != nil {
			return err
		}
		if processed == "" {
			processed = co.Head()
			rec.Head = processed
			if msg, err := co.CommitMessage(processed); err == nil && strings.Contains(msg, "\nFGD-Sync-Id: "+p.SyncID+"\n") {
				// An earlier attempt's push landed although its answer was
				// lost (timeout, crash): that commit is this sync's.
				rec.Commit = processed
			}
			if api != nil && !p.Options.ValidateOnly {
				if err := api.SetStatus(ctx, fab.Repository, processed, github.StatusPending, statusCtx, "fgd-sync is ingesting raw/"); err != nil {
					rec.Warnings = append(rec.Warnings, ingestion.Issue{Code: fgderr.CodeOf(err), Message: "pending status not posted: " + err.Error()})
				}
			}
		}

		initCommit := ""
		if p.Trigger == TriggerFabricCreated && !p.Options.ValidateOnly {
			st = startStage(rec, "init")
			initCommit, err = h.initStructure(co, fab, p)
			st.done()
			if err != nil {
				return err
			}
		}

		st = startStage(rec, "ingest")
		plan, err := h.ingest(co, fab)
		st.done()
		if err != nil {
			return err
		}
		rec.Counts, rec.Errors, rec.Warnings = plan.Counts, plan.Errors, appendWarnings(rec.Warnings, plan.Warnings)
		rec.State = plan.SyncState()
		if p.Options.ValidateOnly {
			return nil
		}

		st = startStage(rec, "commit")
		commit := ""
		if !plan.Empty() {
			change := gitcache.Change{Writes: map[string][]byte{}, Removes: plan.Removes}
			for _, w := range plan.Writes {
				change.Writes[w.Path] = w.Content
			}
			commit, err = co.Commit(fab.Path, change, commitMessage(fab, p, plan))
		}
		st.done()
		if fgderr.CodeOf(err) == fgderr.Symlink {
			return fmt.Errorf("commit: %w", err) // the repository's content: FGD_2003 says what to fix
		}
		if err != nil {
			return &fgderr.Error{Code: fgderr.SyncFailed, Msg: "commit", Err: err}
		}
		if commit == "" && initCommit == "" {
			// Nothing to write: fgd-sync's own output, or nothing new.
			h.saveInventory(ctx, log, fab, rec, plan, processed)
			return h.report(ctx, api, fab, rec, processed, "", statusCtx, plan)
		}
		if commit == "" {
			commit = initCommit
		}

		st = startStage(rec, "push")
		if fab.WriteMode == fabrics.WriteModePullRequest {
			err = h.pullRequest(ctx, api, co, fab, p, rec, plan)
			st.done()
			if err != nil {
				return err
			}
			return h.report(ctx, api, fab, rec, processed, "", statusCtx, plan)
		}
		err = co.Push(ctx)
		st.done()
		if errors.Is(err, gitcache.ErrPushRejected) {
			if try >= attempts {
				return fgderr.Retryable(fgderr.SyncFailed, fmt.Sprintf("the branch kept moving: push rejected %d times", try), err)
			}
			log.Info("the branch moved during the sync; redoing it on the new head", "try", try)
			continue
		}
		if err != nil {
			return err
		}
		rec.Commit = commit
		h.saveInventory(ctx, log, fab, rec, plan, commit)
		return h.report(ctx, api, fab, rec, processed, commit, statusCtx, plan)
	}
}

// initStructure commits the FGD skeleton's missing parts: one commit, or
// none when the folder is complete.
func (h *SyncHandler) initStructure(co *gitcache.Checkout, fab fabrics.Fabric, p SyncPayload) (string, error) {
	fsys, closeFS, err := co.FabricFS(fab.Path)
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + fab.Path, Err: err}
	}
	plan, err := ingestion.InitPlan(fsys, h.Bundle, fab.Name, fab.Namespace)
	closeFS()
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.RepairFailed, Msg: "plan the FGD structure", Err: err}
	}
	if len(plan.Errors) > 0 {
		return "", &fgderr.Error{Code: fgderr.RepairFailed, Msg: plan.Errors[0].String()}
	}
	if plan.Empty() {
		return "", nil
	}
	change := gitcache.Change{Writes: map[string][]byte{}}
	var created []string
	for _, w := range plan.Writes {
		change.Writes[w.Path] = w.Content
		created = append(created, "- "+w.Path)
	}
	msg := fmt.Sprintf("fgd-sync: initialize the FGD structure of fabric %s\n\nCreated:\n%s\n\nFGD-Sync-Id: %s\nFGD-Trigger: %s\n",
		fab.Name, strings.Join(created, "\n"), p.SyncID, p.Trigger)
	sha, err := co.Commit(fab.Path, change, msg)
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.RepairFailed, Msg: "commit the FGD structure", Err: err}
	}
	return sha, nil
}

// saveInventory records the managed resources as of this sync, on the
// fabric branch (pull-request mode has not landed them yet).
func (h *SyncHandler) saveInventory(ctx context.Context, log *slog.Logger, fab fabrics.Fabric, rec *store.Record, plan *ingestion.Plan, commit string) {
	if fab.WriteMode == fabrics.WriteModePullRequest {
		return
	}
	items := make([]store.Resource, 0, len(plan.Resources))
	for _, r := range plan.Resources {
		meta, _ := r.Object["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		items = append(items, store.Resource{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
			Path: path.Join(fab.Path, r.Path), Labels: labels, Annotations: annotations, Spec: r.Object["spec"], Commit: commit})
	}
	if err := h.Store.PutInventory(ctx, fab.Name, items); err != nil {
		log.Warn("could not store the inventory", "error", err)
		rec.Warnings = append(rec.Warnings, ingestion.Issue{Code: fgderr.Store, Message: "inventory not updated: " + err.Error()})
	}
}

// HandleCleanupTask forgets a deleted fabric: its cached clone, lock,
// pending follow-up and inventory. Records stay until their TTL; the
// repository is never touched.
func (h *SyncHandler) HandleCleanupTask(ctx context.Context, t *asynq.Task) error {
	var p CleanupPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Fabric == "" {
		return fmt.Errorf("%w: cleanup payload: %w", ErrInvalidPayload, asynq.SkipRetry)
	}
	if _, err := h.Fabrics.Fabric(ctx, p.Fabric); err == nil {
		h.Logger.Info("cleanup skipped: the fabric exists again", "fabric", p.Fabric)
		return nil
	}
	if err := h.Repos.Drop(p.Fabric); err != nil {
		return fmt.Errorf("drop the cache of %s: %w", p.Fabric, err)
	}
	if err := h.Store.DropFabric(ctx, p.Fabric); err != nil {
		return fgderr.Retryable(fgderr.Redis, "drop the fabric's state", err)
	}
	h.Logger.Info("fabric cleaned up", "fabric", p.Fabric)
	return nil
}

func appendWarnings(a, b []ingestion.Issue) []ingestion.Issue {
	out := append([]ingestion.Issue(nil), a...)
	return append(out, b...)
}

func (h *SyncHandler) ingest(co *gitcache.Checkout, fab fabrics.Fabric) (*ingestion.Plan, error) {
	fsys, closeFS, err := co.FabricFS(fab.Path)
	if err != nil {
		return nil, &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + fab.Path, Err: err}
	}
	defer closeFS()
	return ingestion.Ingest(fsys, ingestion.Options{Bundle: h.Bundle, Namespace: fab.Namespace, MaxRawBytes: h.MaxRawBytes})
}

// pullRequest pushes the sync's commit to an fgd/ branch and opens (or
// updates) the fabric's pull request; the fabric branch is not touched.
func (h *SyncHandler) pullRequest(ctx context.Context, api *github.API, co *gitcache.Checkout, fab fabrics.Fabric, p SyncPayload, rec *store.Record, plan *ingestion.Plan) error {
	if api == nil {
		return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "write_mode pull-request needs GitHub API credentials"}
	}
	marker := "<!-- fgd-sync fabric: " + fab.Name + " -->"
	branch := "fgd/sync-" + p.SyncID
	if open, ok, err := api.FindOpenPR(ctx, fab.Repository, fab.Branch, marker); err != nil {
		return err
	} else if ok {
		branch = open.Head
	}
	if err := co.PushBranch(ctx, branch); err != nil {
		return err
	}
	title := fmt.Sprintf("fgd-sync: ingest raw/ of fabric %s", fab.Name)
	body := fmt.Sprintf("%s\n\n%s\n%s", commitSummary(plan), marker, "Merging this applies the normalized managed/ tree.")
	pr, err := api.OpenOrUpdatePR(ctx, fab.Repository, branch, fab.Branch, title, body, marker)
	if err != nil {
		return err
	}
	rec.Commit = co.Head()
	rec.PullRequest = pr.URL
	return nil
}

// api is the repository's API client, or nil when there are no credentials.
func (h *SyncHandler) api(ctx context.Context, repository string) (*github.API, error) {
	if h.APIs == nil {
		return nil, nil
	}
	return h.APIs.API(ctx, repository)
}

// report posts the final commit status on the head the sync processed, and
// on its own commit when it made one; with a GitHub App, also a check run
// whose annotations point at each rejected file and line.
func (h *SyncHandler) report(ctx context.Context, api *github.API, fab fabrics.Fabric, rec *store.Record, processed, commit, statusCtx string, plan *ingestion.Plan) error {
	if api == nil {
		return nil
	}
	st := startStage(rec, "report")
	defer st.done()
	state, desc := github.StatusSuccess, statusSuccessText(plan)
	if len(plan.Errors) > 0 {
		state, desc = github.StatusFailure, statusFailureText(plan)
	}
	for _, sha := range []string{processed, commit} {
		if sha == "" {
			continue
		}
		if err := api.SetStatus(ctx, fab.Repository, sha, state, statusCtx, desc); err != nil {
			return err
		}
	}
	if h.APIs.App() {
		conclusion := "success"
		if len(plan.Errors) > 0 {
			conclusion = "failure"
		}
		var anns []github.Annotation
		for _, e := range plan.Errors {
			msg := e.Message
			if e.Path != "" {
				msg = e.Path + ": " + msg
			}
			anns = append(anns, github.Annotation{Path: path.Join(fab.Path, e.File), Line: e.Line, Title: string(e.Code), Message: msg})
		}
		if err := api.CreateCheckRun(ctx, fab.Repository, processed, statusCtx, conclusion, desc, commitSummary(plan), anns); err != nil {
			return err
		}
	}
	return nil
}

func statusSuccessText(p *ingestion.Plan) string {
	c := p.Counts
	if p.Empty() {
		return fmt.Sprintf("up to date: %d resources", c.ResourcesUnchanged)
	}
	return fmt.Sprintf("ingested: %d created, %d updated, %d unmanaged", c.ResourcesCreated, c.ResourcesUpdated, c.FilesUnmanaged)
}

func statusFailureText(p *ingestion.Plan) string {
	first := p.Errors[0]
	loc := first.File
	if first.Line > 0 {
		loc = fmt.Sprintf("%s:%d", first.File, first.Line)
	}
	return fmt.Sprintf("%d file(s) rejected; %s %s %s", len(p.Rejected), loc, first.Code, first.Message)
}

// commitMessage says what was ingested and ends with the trailers.
func commitMessage(fab fabrics.Fabric, p SyncPayload, plan *ingestion.Plan) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "fgd-sync: ingest raw/ of fabric %s\n\n%s\n", fab.Name, commitSummary(plan))
	fmt.Fprintf(&sb, "\nFGD-Sync-Id: %s\nFGD-Trigger: %s\n", p.SyncID, p.Trigger)
	return sb.String()
}

func commitSummary(plan *ingestion.Plan) string {
	var sb strings.Builder
	c := plan.Counts
	fmt.Fprintf(&sb, "Resources: %d created, %d updated, %d unchanged. Files to unmanaged/: %d. Files rejected: %d.\n",
		c.ResourcesCreated, c.ResourcesUpdated, c.ResourcesUnchanged, c.FilesUnmanaged, c.FilesRejected)
	var ingested []string
	for _, s := range plan.Sources {
		if s.Outcome == ingestion.OutcomeIngested {
			ingested = append(ingested, s.Path)
		}
	}
	sort.Strings(ingested)
	if len(ingested) > 0 {
		sb.WriteString("\nIngested:\n")
		for i, f := range ingested {
			if i == 50 {
				fmt.Fprintf(&sb, "- … and %d more\n", len(ingested)-50)
				break
			}
			fmt.Fprintf(&sb, "- %s\n", f)
		}
	}
	if len(plan.Rejected) > 0 {
		sb.WriteString("\nLeft in place (see the commit status):\n")
		for _, f := range plan.Rejected {
			fmt.Fprintf(&sb, "- %s\n", f)
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
