package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// ValidateStatusContext is the commit status context (and check run name)
// of a pull request's validation.
const ValidateStatusContext = StatusContextPrefix + "/validate"

// PullRequestTarget is the pull request a sync with trigger pull_request
// validates: its number and the head commit the delivery announced. The
// head is fetched as refs/pull/<number>/head from the base repository,
// never from the fork.
type PullRequestTarget struct {
	Number  int    `json:"number"`
	HeadSHA string `json:"head_sha"`
	// HeadRepository is where the head branch lives (a fork, maybe): for
	// the logs only, never fetched.
	HeadRepository string `json:"head_repository,omitempty"`
	// UpdatedAt is the delivery's pull_request.updated_at: it orders the
	// pull request's changes, so that a newer head supersedes an older one.
	UpdatedAt time.Time `json:"updated_at"`
	// StatusContext is ValidateStatusContext, or ValidateStatusContext/<fabric>
	// when several fabrics watch the base branch of the repository.
	StatusContext string `json:"status_context,omitempty"`
}

var commitSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

func (t *PullRequestTarget) validate() error {
	switch {
	case t == nil:
		return fmt.Errorf("%w: a pull_request sync names no pull request", ErrInvalidPayload)
	case t.Number <= 0:
		return fmt.Errorf("%w: pull request number %d", ErrInvalidPayload, t.Number)
	case !commitSHA.MatchString(t.HeadSHA):
		return fmt.Errorf("%w: head sha %q is not a commit id", ErrInvalidPayload, t.HeadSHA)
	}
	return nil
}

// PullRequestCheckout is a clone at a pull request's head: it can only be
// read (*gitcache.PullRequestCheckout has no commit or push).
type PullRequestCheckout interface {
	Head() string
	FabricFS(fabricPath string) (fs.FS, func(), error)
}

// PullRequestRepositories fetch a pull request's head from the base
// repository (GitCache is one).
type PullRequestRepositories interface {
	OpenPullRequest(ctx context.Context, key, repository, url string, number int, fabricPath string) (PullRequestCheckout, error)
}

// OpenPullRequest returns a clone at refs/pull/<number>/head of url.
func (c GitCache) OpenPullRequest(ctx context.Context, key, repository, url string, number int, fabricPath string) (PullRequestCheckout, error) {
	co, err := c.RepoCache.OpenPullRequest(ctx, key, repository, url, number, fabricPath)
	if err != nil {
		return nil, err
	}
	return co, nil
}

// PullRequestHeadStore keeps each pull request's newest announced head
// (*store.Store).
type PullRequestHeadStore interface {
	AnnouncePullRequestHead(ctx context.Context, fabric string, number int, head store.PullRequestHead) (store.PullRequestHead, error)
}

// pullRequestLock is the lock the validations of a fabric's pull requests
// share: they use one clone. It is not the fabric's sync lock, so a
// validation never waits for a sync nor a sync for a validation; no fabric
// name contains a colon.
func pullRequestLock(fabric string) string { return fabric + ":pull-requests" }

// lagRetry is how soon a validation looks again when refs/pull/<n>/head is
// not yet at the head the delivery announced.
const lagRetry = 2 * time.Second

// prValidation is one validation of a pull request's head.
type prValidation struct {
	h     *SyncHandler
	log   *slog.Logger
	fab   fabrics.Fabric
	p     SyncPayload
	pr    PullRequestTarget
	rec   *store.Record
	heads PullRequestHeadStore
	repos PullRequestRepositories
}

// supersededError ends a validation whose pull request has a newer head:
// the newer head's validation reports, this one does not.
type supersededError struct{ newest store.PullRequestHead }

func (e *supersededError) Error() string { return "superseded by head " + e.newest.SHA }

// validatePullRequest runs a sync with trigger pull_request: it fetches
// refs/pull/<number>/head from the base repository into the fabric's
// pull-request clone, ingests the fabric folder there without writing
// anything (no commit, no push, no inventory), and posts the outcome on
// the head commit. A validation whose pull request got a newer head
// before it reported ends superseded, without reporting.
func (h *SyncHandler) validatePullRequest(ctx context.Context, p SyncPayload) error {
	pr := *p.PullRequest
	p.Options.ValidateOnly = true
	log := h.Logger.With("sync_id", p.SyncID, "fabric", p.Fabric, "delivery_id", p.DeliveryID, "trigger", string(p.Trigger),
		"pull_request", pr.Number, "head_sha", pr.HeadSHA, "head_repository", pr.HeadRepository)
	rec, err := h.loadRecord(ctx, p)
	if err != nil {
		return err
	}
	rec.ValidateOnly, rec.PullRequestNumber, rec.HeadSHA = true, pr.Number, pr.HeadSHA
	fab, err := h.fabric(ctx, log, p, rec)
	if err != nil {
		return err
	}
	heads, okHeads := h.Store.(PullRequestHeadStore)
	repos, okRepos := h.Repos.(PullRequestRepositories)
	if !okHeads || !okRepos {
		issue := issueOf(&fgderr.Error{Code: fgderr.Internal, Msg: "this worker cannot validate pull requests: its store or repository cache lacks the pull-request side"})
		if werr := h.finish(ctx, log, rec, store.StateFailed, &issue); werr != nil {
			return werr // retried, so that the record is written
		}
		return fmt.Errorf("%s: %w", issue.Message, asynq.SkipRetry)
	}
	v := &prValidation{h: h, log: log, fab: fab, p: p, pr: pr, rec: rec, heads: heads, repos: repos}
	if err := v.checkNewest(ctx); err != nil {
		return v.end(ctx, err)
	}
	l, _, err := h.acquire(ctx, log, pullRequestLock(fab.Name), p.SyncID)
	if err != nil {
		return err
	}
	if l == nil {
		return ErrWaitingForLock
	}
	defer l.release(ctx)
	syncCtx, cancel := context.WithTimeoutCause(ctx, h.timeout(p), errSyncTimeout)
	defer cancel()
	l.keep(syncCtx, cancel)
	if err := h.markRunning(ctx, log, rec, fab); err != nil {
		return err
	}
	err = v.run(syncCtx)
	return v.end(ctx, explain(ctx, syncCtx, l, h.timeout(p), err))
}

// end concludes the validation; a superseded one ends succeeded, naming
// the validation that covers it, as a coalesced sync does.
func (v *prValidation) end(ctx context.Context, err error) error {
	var sup *supersededError
	if !errors.As(err, &sup) {
		return v.h.conclude(ctx, v.log, v.rec, err)
	}
	v.h.Metrics.stages(v.rec)
	now := time.Now().UTC()
	v.rec.State, v.rec.FinishedAt, v.rec.CoalescedInto = store.StateSucceeded, &now, sup.newest.SyncID
	v.rec.Errors, v.rec.Counts = []ingestion.Issue{}, ingestion.Counts{}
	v.rec.Warnings = []ingestion.Issue{{Code: fgderr.SyncInProgress, Message: fmt.Sprintf(
		"pull request #%d moved on to head %s before this validation of %s reported; validation %s covers it, so this one reports nothing",
		v.pr.Number, shortSHA(sup.newest.SHA), shortSHA(v.pr.HeadSHA), sup.newest.SyncID)}}
	// A fresh context: the task's may be done, the record must still go.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := v.h.Store.PutRecord(wctx, v.rec); errors.Is(err, store.ErrRecordFinal) {
		return nil
	} else if err != nil {
		return fgderr.Retryable(fgderr.Redis, "write sync record", err)
	}
	v.h.Metrics.coalesced(v.rec)
	v.log.Info("pull request validation superseded", "newest_head", sup.newest.SHA, "covered_by", sup.newest.SyncID)
	return nil
}

// checkNewest announces this validation's head and answers a
// *supersededError when a newer head of the pull request was announced.
// Announcing again is harmless, so every check announces.
func (v *prValidation) checkNewest(ctx context.Context) error {
	newest, err := v.heads.AnnouncePullRequestHead(ctx, v.fab.Name, v.pr.Number, store.PullRequestHead{
		SHA: v.pr.HeadSHA, SyncID: v.p.SyncID, UpdatedAt: v.pr.UpdatedAt, ReceivedAt: v.p.CreatedAt})
	if err != nil {
		return fgderr.Retryable(fgderr.Redis, "read the pull request's newest head", err)
	}
	if newest.SHA != v.pr.HeadSHA {
		return &supersededError{newest: newest}
	}
	return nil
}

// run fetches, ingests and reports, checking before each step that cannot
// be undone (the report) that no newer head came.
func (v *prValidation) run(ctx context.Context) error {
	url := gitcache.CloneURL(v.fab.CloneURL, v.h.APIURL, v.fab.Repository)
	rep, err := v.h.reporter(ctx, v.fab.Repository)
	if err != nil {
		return err
	}
	st := startStage(v.rec, "fetch")
	co, err := v.repos.OpenPullRequest(ctx, gitcache.PullRequestCacheKey(v.fab.Name, url), v.fab.Repository, url, v.pr.Number, v.fab.Path)
	st.done()
	if err != nil {
		return err
	}
	v.rec.Head = co.Head()
	if co.Head() != v.pr.HeadSHA {
		if err := v.checkNewest(ctx); err != nil {
			return err
		}
		// GitHub updates refs/pull/<n>/head shortly after it announces a
		// push; or a newer push's delivery is still on its way.
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Transient: true, RetryAfter: lagRetry, Msg: fmt.Sprintf(
			"refs/pull/%d/head is at %s, not yet at %s as the delivery announced; looking again shortly", v.pr.Number, shortSHA(co.Head()), shortSHA(v.pr.HeadSHA))}
	}
	v.pending(ctx, rep)
	plan, err := v.ingest(co)
	if err != nil {
		return err
	}
	if err := v.checkNewest(ctx); err != nil {
		return err
	}
	return v.report(ctx, rep, plan)
}

// ingest plans the fabric folder at the pull request's head. The plan is
// only read: nothing is committed, pushed or stored in the inventory.
func (v *prValidation) ingest(co PullRequestCheckout) (*ingestion.Plan, error) {
	st := startStage(v.rec, "ingest")
	defer st.done()
	fsys, closeFS, err := co.FabricFS(v.fab.Path)
	if err != nil {
		return nil, &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + v.fab.Path, Err: err}
	}
	defer closeFS()
	plan, err := ingestion.Ingest(fsys, ingestion.Options{Bundle: v.h.Bundle, Namespace: v.fab.Namespace})
	if err != nil {
		return nil, err
	}
	v.rec.Counts, v.rec.Errors, v.rec.State = plan.Counts, plan.Errors, plan.SyncState()
	v.rec.Warnings = append(v.rec.Warnings, plan.Warnings...)
	return plan, nil
}

func (v *prValidation) statusContext() string {
	if v.pr.StatusContext != "" {
		return v.pr.StatusContext
	}
	return ValidateStatusContext
}

// pending marks the head as being validated; failing to is a warning.
func (v *prValidation) pending(ctx context.Context, rep Reporter) {
	if rep == nil {
		return
	}
	if err := rep.SetStatus(ctx, v.fab.Repository, v.pr.HeadSHA, github.StatusPending, v.statusContext(), "fgd-sync is validating fabric "+v.fab.Name); err != nil {
		v.rec.Warnings = append(v.rec.Warnings, ingestion.Issue{Code: fgderr.CodeOf(err), Message: "pending status not posted: " + err.Error()})
	}
}

// report posts the commit status on the head: success with the counts, or
// failure with the first error; with a GitHub App also a check run with
// one annotation per error, at its file and line.
func (v *prValidation) report(ctx context.Context, rep Reporter, plan *ingestion.Plan) error {
	if rep == nil {
		return nil
	}
	st := startStage(v.rec, "report")
	defer st.done()
	state, conclusion, desc := github.StatusSuccess, "success", validSummary(plan)
	if len(plan.Errors) > 0 {
		state, conclusion, desc = github.StatusFailure, "failure", statusFailureText(plan)
	}
	if err := rep.SetStatus(ctx, v.fab.Repository, v.pr.HeadSHA, state, v.statusContext(), desc); err != nil {
		return err
	}
	if !v.h.Reporters.App() {
		return nil
	}
	summary := fmt.Sprintf("Validation of fabric %s at %s, the head of pull request #%d. Nothing was written: merging the pull request lets the sync ingest it.\n\n%s",
		v.fab.Name, shortSHA(v.pr.HeadSHA), v.pr.Number, commitSummary(plan))
	return rep.CreateCheckRun(ctx, v.fab.Repository, v.pr.HeadSHA, v.statusContext(), conclusion, desc, summary, annotations(v.fab, plan))
}

// validSummary is the success status of a pull request: what merging it
// would do.
func validSummary(p *ingestion.Plan) string {
	c := p.Counts
	return fmt.Sprintf("valid: %d resources (%d new, %d changed, %d unchanged), %d file(s) to unmanaged/",
		c.ResourcesCreated+c.ResourcesUpdated+c.ResourcesUnchanged, c.ResourcesCreated, c.ResourcesUpdated, c.ResourcesUnchanged, c.FilesUnmanaged)
}
