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

// Repositories is the cache of clones. key names one clone
// (gitcache.CacheKey: the fabric, its clone URL and branch).
type Repositories interface {
	Open(ctx context.Context, key, repository, url, branch, fabricPath string) (Checkout, error)
	Drop(key string) error
	// DropFabric removes every clone of a fabric, whatever its remote.
	DropFabric(fabric string) error
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
	cacheKey  string
	statusCtx string
	pendingOn []string // heads that got this sync's pending status
}

// attempt is one pass of fetch, ingest, commit and push on the head it
// fetched. A push refused because the branch moved ends it; the next
// attempt starts over from the new head, and what it finds (errors,
// warnings, counts) replaces what this one found.
type attempt struct {
	*syncRun
	co   Checkout
	head string // the head this attempt fetched and ingested
	// previous is the fabric's inventory as of its last sync, read before
	// ingesting: what the new plan is compared with to see what it deletes.
	previous  []store.Resource
	initPlan  *ingestion.Plan // a new fabric's missing skeleton; nil otherwise
	plan      *ingestion.Plan
	prBranch  string // pull-request mode: the fgd/ branch to push
	commitSHA string // the commit to push; "" when there is nothing to push
}

// run does the work under the lease, redoing an attempt when the remote
// moved, then reports.
func (s *syncRun) run(ctx context.Context) error {
	h, p := s.h, s.p
	s.url = gitcache.CloneURL(s.fab.CloneURL, h.APIURL, s.fab.Repository)
	s.cacheKey = gitcache.CacheKey(s.fab.Name, s.url, s.fab.Branch)
	s.statusCtx = StatusContextPrefix + "/" + s.fab.Name
	if p.Options.ForceRefresh {
		if err := h.Repos.Drop(s.cacheKey); err != nil {
			return &fgderr.Error{Code: fgderr.Internal, Msg: "drop the cached clone", Err: err}
		}
	}
	var err error
	if s.rep, err = h.reporter(ctx, s.fab.Repository); err != nil {
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
			s.saveInventory(ctx, a.plan, a.head)
			return s.report(ctx, a)
		}
		err := a.push(ctx)
		if errors.Is(err, gitcache.ErrPushRejected) {
			if try >= h.attempts() {
				return fgderr.Retryable(fgderr.SyncFailed, fmt.Sprintf("the branch kept moving: push rejected %d times", try), err)
			}
			s.log.Info("the branch moved during the sync; redoing it on the new head", "try", try)
			continue
		}
		if err != nil {
			return err
		}
		s.saveInventory(ctx, a.plan, a.commitSHA)
		return s.report(ctx, a)
	}
}

// fetch opens the clone at the remote head.
func (a *attempt) fetch(ctx context.Context) error {
	st := startStage(a.rec, "fetch")
	co, err := a.h.Repos.Open(ctx, a.cacheKey, a.fab.Repository, a.url, a.fab.Branch, a.fab.Path)
	st.done()
	if err != nil {
		return err
	}
	a.co, a.head = co, co.Head()
	a.rec.Head, a.rec.Warnings = a.head, nil
	if msg, err := co.CommitMessage(a.head); err == nil && strings.Contains(msg, "\nFGD-Sync-Id: "+a.p.SyncID+"\n") {
		// An earlier attempt's push landed although its answer was lost
		// (timeout, crash): that commit is this sync's.
		a.rec.Commit = a.head
	}
	if !a.p.Options.ValidateOnly {
		a.pending(ctx)
	}
	return nil
}

// ingest plans the fabric folder, and for a new fabric the missing parts
// of its skeleton. Nothing is written yet.
func (a *attempt) ingest(ctx context.Context) error {
	if a.p.Trigger == TriggerFabricCreated && !a.p.Options.ValidateOnly {
		st := startStage(a.rec, "init")
		err := a.planStructure()
		st.done()
		if err != nil {
			return err
		}
	}
	st := startStage(a.rec, "ingest")
	defer st.done()
	previous, err := a.h.Store.Inventory(ctx, a.fab.Name, "")
	if err != nil {
		return fgderr.Retryable(fgderr.Store, "read the fabric's inventory", err)
	}
	a.previous = previous
	fsys, closeFS, err := a.co.FabricFS(a.fab.Path)
	if err != nil {
		return &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + a.fab.Path, Err: err}
	}
	defer closeFS()
	plan, err := ingestion.Ingest(fsys, ingestion.Options{Bundle: a.h.Bundle, Namespace: a.fab.Namespace, MaxRawBytes: a.h.MaxRawBytes})
	if err != nil {
		return err
	}
	a.plan = plan
	a.rec.Counts, a.rec.Errors, a.rec.State = plan.Counts, plan.Errors, plan.SyncState()
	a.rec.Warnings = append(a.rec.Warnings, plan.Warnings...)
	// A resource the user deleted that others still reference: Hedgehog
	// will refuse or orphan them, so the record says so.
	a.rec.Warnings = append(a.rec.Warnings, ingestion.DeletionWarnings(inventoryResources(a.fab.Path, a.previous), plan)...)
	return nil
}

// planStructure plans the FGD skeleton's missing parts. Ingestion reads
// none of them, so the plan of raw/ is the same with or without them.
func (a *attempt) planStructure() error {
	fsys, closeFS, err := a.co.FabricFS(a.fab.Path)
	if err != nil {
		return &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "open the fabric folder " + a.fab.Path, Err: err}
	}
	defer closeFS()
	plan, err := ingestion.InitPlan(fsys, a.h.Bundle, a.fab.Name, a.fab.Namespace)
	if err != nil {
		return &fgderr.Error{Code: fgderr.RepairFailed, Msg: "plan the FGD structure", Err: err}
	}
	if len(plan.Errors) > 0 {
		return &fgderr.Error{Code: fgderr.RepairFailed, Msg: plan.Errors[0].String()}
	}
	a.initPlan = plan
	return nil
}

// commit takes the fencing token, then writes the skeleton (one commit)
// and the plan (one commit), both with the token in their trailers.
func (a *attempt) commit(ctx context.Context) error {
	st := startStage(a.rec, "commit")
	defer st.done()
	initEmpty := a.initPlan == nil || a.initPlan.Empty()
	if initEmpty && a.plan.Empty() {
		return nil
	}
	if a.fab.WriteMode == fabrics.WriteModePullRequest {
		if err := a.choosePRBranch(ctx); err != nil {
			return err
		}
	}
	token, err := a.lease.fence(ctx)
	if err != nil {
		return err
	}
	a.rec.Fence = token
	if !initEmpty {
		sha, err := a.co.Commit(a.fab.Path, changeOf(a.initPlan), initMessage(a.fab, a.p, a.initPlan, token))
		if err != nil {
			return &fgderr.Error{Code: fgderr.RepairFailed, Msg: "commit the FGD structure", Err: err}
		}
		a.commitSHA = sha
	}
	if !a.plan.Empty() {
		sha, err := a.co.Commit(a.fab.Path, changeOf(a.plan), commitMessage(a.fab, a.p, a.plan, token))
		if fgderr.CodeOf(err) == fgderr.Symlink {
			return fmt.Errorf("commit: %w", err) // the repository's content: FGD_2003 says what to fix
		}
		if err != nil {
			return &fgderr.Error{Code: fgderr.SyncFailed, Msg: "commit", Err: err}
		}
		if sha != "" {
			a.commitSHA = sha
		}
	}
	return nil
}

// push sends the commits to the fabric branch, or in pull-request mode to
// the fgd/ branch, and opens or updates the pull request.
func (a *attempt) push(ctx context.Context) error {
	st := startStage(a.rec, "push")
	defer st.done()
	if a.fab.WriteMode != fabrics.WriteModePullRequest {
		if err := a.co.Push(ctx); err != nil {
			return err
		}
		a.rec.Commit = a.commitSHA
		return nil
	}
	if err := a.co.PushBranch(ctx, a.prBranch); err != nil {
		return err
	}
	title := fmt.Sprintf("fgd-sync: ingest raw/ of fabric %s", a.fab.Name)
	body := fmt.Sprintf("%s\n\n%s\n%s", commitSummary(a.plan), prMarker(a.fab), "Merging this applies the normalized managed/ tree.")
	pr, err := a.rep.OpenOrUpdatePR(ctx, a.fab.Repository, a.prBranch, a.fab.Branch, title, body, prMarker(a.fab))
	if err != nil {
		return err
	}
	a.rec.Commit, a.rec.PullRequest = a.commitSHA, pr.URL
	return nil
}

// choosePRBranch is the fgd/ branch of the fabric's open pull request, or
// a new one for this sync; the fabric branch is never touched.
func (a *attempt) choosePRBranch(ctx context.Context) error {
	if a.rep == nil {
		return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "write_mode pull-request needs GitHub API credentials"}
	}
	a.prBranch = "fgd/sync-" + a.p.SyncID
	open, ok, err := a.rep.FindOpenPR(ctx, a.fab.Repository, a.fab.Branch, prMarker(a.fab))
	if err != nil {
		return err
	}
	if ok {
		a.prBranch = open.Head
	}
	return nil
}

func prMarker(fab fabrics.Fabric) string { return "<!-- fgd-sync fabric: " + fab.Name + " -->" }

// changeOf is a plan's writes and removes as one commit's change.
func changeOf(plan *ingestion.Plan) gitcache.Change {
	change := gitcache.Change{Writes: make(map[string][]byte, len(plan.Writes)), Removes: plan.Removes}
	for _, w := range plan.Writes {
		change.Writes[w.Path] = w.Content
	}
	return change
}
