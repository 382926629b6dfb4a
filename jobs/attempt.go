package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// Checkout is a fabric's clone at the remote head (a *gitcache.Checkout).
type Checkout interface {
	Head() string
	CommitMessage(sha string) (string, error)
	// FabricFS is a read-only view of the fabric folder; close it when done.
	FabricFS(fabricPath string) (fs.FS, func(), error)
	Commit(fabricPath string, change gitcache.Change, message string) (string, error)
	// Push never forces: a remote that moved answers gitcache.ErrPushRejected.
	Push(ctx context.Context) error
	// PushBranch replaces an fgd/ branch with the local head.
	PushBranch(ctx context.Context, branch string) error
}

// Repositories opens a fabric's clone at the remote head; key names the
// cached clone.
type Repositories interface {
	Open(ctx context.Context, key, repository, url, branch string) (Checkout, error)
	Drop(key string) error
}

// syncRun is what the attempts of one sync share.
type syncRun struct {
	h         *SyncHandler
	log       *slog.Logger
	lease     *lease
	fab       fabrics.Fabric
	p         SyncPayload
	rec       *store.Record
	rep       Reporter // nil: no GitHub API
	url       string
	statusCtx string
	processed string // the head the first attempt fetched
}

// attempt is one pass of fetch, ingest, commit and push. A push refused
// because the branch moved ends it; the next attempt starts from the new
// head.
type attempt struct {
	*syncRun
	co         Checkout
	initCommit string
	plan       *ingestion.Plan
	commitSHA  string
}

// run does the work under the lease, redoing an attempt when the remote
// moved, then reports.
func (h *SyncHandler) run(ctx context.Context, log *slog.Logger, l *lease, fab fabrics.Fabric, p SyncPayload, rec *store.Record) error {
	s := &syncRun{h: h, log: log, lease: l, fab: fab, p: p, rec: rec,
		url: gitcache.CloneURL(fab.CloneURL, h.APIURL, fab.Repository), statusCtx: StatusContextPrefix + "/" + fab.Name}
	if p.Options.ForceRefresh {
		if err := h.Repos.Drop(fab.Name); err != nil {
			return &fgderr.Error{Code: fgderr.Internal, Msg: "drop the cached clone", Err: err}
		}
	}
	var err error
	if s.rep, err = h.reporter(ctx, fab.Repository); err != nil {
		return err
	}
	for try := 1; ; try++ {
		a := &attempt{syncRun: s}
		if err := a.fetch(ctx); err != nil {
			return err
		}
		if err := a.ingest(ctx); err != nil || p.Options.ValidateOnly {
			return err
		}
		if err := a.commit(ctx); err != nil {
			return err
		}
		if a.commitSHA == "" {
			// Nothing to write: fgd-sync's own output, or nothing new.
			s.saveInventory(ctx, a.plan, s.processed)
			return s.report(ctx, a.plan, "")
		}
		err := a.push(ctx)
		if errors.Is(err, gitcache.ErrPushRejected) {
			if try >= h.attempts() {
				return fgderr.Retryable(fgderr.SyncFailed, fmt.Sprintf("the branch kept moving: push rejected %d times", try), err)
			}
			log.Info("the branch moved during the sync; redoing it on the new head", "try", try)
			continue
		}
		if err != nil {
			return err
		}
		if fab.WriteMode == fabrics.WriteModePullRequest {
			return s.report(ctx, a.plan, "")
		}
		s.saveInventory(ctx, a.plan, a.commitSHA)
		return s.report(ctx, a.plan, a.commitSHA)
	}
}

// fetch opens the clone at the remote head.
func (a *attempt) fetch(ctx context.Context) error {
	st := startStage(a.rec, "fetch")
	co, err := a.h.Repos.Open(ctx, a.fab.Name, a.fab.Repository, a.url, a.fab.Branch)
	st.done()
	if err != nil {
		return err
	}
	a.co = co
	if a.processed != "" {
		return nil
	}
	a.processed = co.Head()
	a.rec.Head = a.processed
	if msg, err := co.CommitMessage(a.processed); err == nil && strings.Contains(msg, "\nFGD-Sync-Id: "+a.p.SyncID+"\n") {
		// An earlier attempt's push landed although its answer was lost
		// (timeout, crash): that commit is this sync's.
		a.rec.Commit = a.processed
	}
	if !a.p.Options.ValidateOnly {
		a.pending(ctx, a.processed)
	}
	return nil
}

// ingest plans the fabric folder; a new fabric first gets the missing
// parts of its skeleton committed.
func (a *attempt) ingest(ctx context.Context) error {
	if a.p.Trigger == TriggerFabricCreated && !a.p.Options.ValidateOnly {
		st := startStage(a.rec, "init")
		sha, err := a.initStructure()
		st.done()
		if err != nil {
			return err
		}
		a.initCommit = sha
	}
	st := startStage(a.rec, "ingest")
	defer st.done()
	fsys, closeFS, err := a.co.FabricFS(a.fab.Path)
	if err != nil {
		return &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + a.fab.Path, Err: err}
	}
	defer closeFS()
	plan, err := ingestion.Ingest(fsys, ingestion.Options{Bundle: a.h.Bundle, Namespace: a.fab.Namespace})
	if err != nil {
		return err
	}
	a.plan = plan
	a.rec.Counts, a.rec.Errors, a.rec.Warnings = plan.Counts, plan.Errors, append(append([]ingestion.Issue(nil), a.rec.Warnings...), plan.Warnings...)
	a.rec.State = plan.SyncState()
	return nil
}

// initStructure commits the FGD skeleton's missing parts: one commit, or
// none when the folder is complete.
func (a *attempt) initStructure() (string, error) {
	fsys, closeFS, err := a.co.FabricFS(a.fab.Path)
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + a.fab.Path, Err: err}
	}
	plan, err := ingestion.InitPlan(fsys, a.h.Bundle, a.fab.Name, a.fab.Namespace)
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
	sha, err := a.co.Commit(a.fab.Path, changeOf(plan), initMessage(a.fab, a.p, plan))
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.RepairFailed, Msg: "commit the FGD structure", Err: err}
	}
	return sha, nil
}

// commit writes the plan into the work tree as one commit. commitSHA is
// the commit to push, "" when there is nothing to push.
func (a *attempt) commit(ctx context.Context) error {
	st := startStage(a.rec, "commit")
	defer st.done()
	if !a.plan.Empty() {
		sha, err := a.co.Commit(a.fab.Path, changeOf(a.plan), commitMessage(a.fab, a.p, a.plan))
		if err != nil {
			return &fgderr.Error{Code: fgderr.SyncFailed, Msg: "commit", Err: err}
		}
		a.commitSHA = sha
	}
	if a.commitSHA == "" {
		a.commitSHA = a.initCommit
	}
	return nil
}

// push sends the commit to the fabric branch, or in pull-request mode to
// an fgd/ branch with a pull request.
func (a *attempt) push(ctx context.Context) error {
	st := startStage(a.rec, "push")
	defer st.done()
	if a.fab.WriteMode == fabrics.WriteModePullRequest {
		return a.pullRequest(ctx)
	}
	if err := a.co.Push(ctx); err != nil {
		return err
	}
	a.rec.Commit = a.commitSHA
	return nil
}

// pullRequest pushes the sync's commit to an fgd/ branch and opens (or
// updates) the fabric's pull request; the fabric branch is not touched.
func (a *attempt) pullRequest(ctx context.Context) error {
	if a.rep == nil {
		return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "write_mode pull-request needs GitHub API credentials"}
	}
	marker := "<!-- fgd-sync fabric: " + a.fab.Name + " -->"
	branch := "fgd/sync-" + a.p.SyncID
	if open, ok, err := a.rep.FindOpenPR(ctx, a.fab.Repository, a.fab.Branch, marker); err != nil {
		return err
	} else if ok {
		branch = open.Head
	}
	if err := a.co.PushBranch(ctx, branch); err != nil {
		return err
	}
	title := fmt.Sprintf("fgd-sync: ingest raw/ of fabric %s", a.fab.Name)
	body := fmt.Sprintf("%s\n\n%s\n%s", commitSummary(a.plan), marker, "Merging this applies the normalized managed/ tree.")
	pr, err := a.rep.OpenOrUpdatePR(ctx, a.fab.Repository, branch, a.fab.Branch, title, body, marker)
	if err != nil {
		return err
	}
	a.rec.Commit = a.co.Head()
	a.rec.PullRequest = pr.URL
	return nil
}

// changeOf is a plan's writes and removes as one commit's change.
func changeOf(plan *ingestion.Plan) gitcache.Change {
	change := gitcache.Change{Writes: make(map[string][]byte, len(plan.Writes)), Removes: plan.Removes}
	for _, w := range plan.Writes {
		change.Writes[w.Path] = w.Content
	}
	return change
}
