package jobs

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/ingestion"
)

// Reporter is a repository's GitHub API as a sync uses it: commit
// statuses, check runs, and the pull requests of pull-request mode.
// *github.API is one.
type Reporter interface {
	SetStatus(ctx context.Context, repository, sha, state, context, description string) error
	CreateCheckRun(ctx context.Context, repository, sha, name, conclusion, title, summary string, annotations []github.Annotation) error
	FindOpenPR(ctx context.Context, repository, base, marker string) (github.PullRequest, bool, error)
	OpenOrUpdatePR(ctx context.Context, repository, head, base, title, body, marker string) (github.PullRequest, error)
}

// Reporters gives the Reporter of a repository.
type Reporters interface {
	// Reporter is nil, without an error, when there are no API credentials.
	Reporter(ctx context.Context, repository string) (Reporter, error)
	// App tells whether the credentials are a GitHub App's, which may
	// create check runs.
	App() bool
}

// reporter is the repository's Reporter, or nil without credentials.
func (h *SyncHandler) reporter(ctx context.Context, repository string) (Reporter, error) {
	if h.Reporters == nil {
		return nil, nil
	}
	return h.Reporters.Reporter(ctx, repository)
}

// pending marks the attempt's head as being ingested, once per head. A
// failure is only a warning: the final status follows.
func (a *attempt) pending(ctx context.Context) {
	if a.rep == nil || slices.Contains(a.pendingOn, a.head) {
		return
	}
	if err := a.rep.SetStatus(ctx, a.fab.Repository, a.head, github.StatusPending, a.statusCtx, "fgd-sync is ingesting raw/"); err != nil {
		a.rec.Warnings = append(a.rec.Warnings, ingestion.Issue{Code: fgderr.CodeOf(err), Message: "pending status not posted: " + err.Error()})
		return
	}
	a.pendingOn = append(a.pendingOn, a.head)
}

// report posts the final commit status on the head the last attempt
// ingested and on the sync's own commit; an earlier head of the sync that
// got a pending status gets the final one too, saying which head it was
// ingested with. With a GitHub App, the ingested head also gets a check
// run whose annotations point at each rejected file and line.
func (s *syncRun) report(ctx context.Context, a *attempt) error {
	if s.rep == nil {
		return nil
	}
	st := startStage(s.rec, "report")
	defer st.done()
	plan := a.plan
	state, desc := github.StatusSuccess, statusSuccessText(plan)
	if len(plan.Errors) > 0 {
		state, desc = github.StatusFailure, statusFailureText(plan)
	}
	for _, sha := range s.pendingOn {
		if sha == a.head {
			continue
		}
		if err := s.rep.SetStatus(ctx, s.fab.Repository, sha, state, s.statusCtx, "ingested with "+shortSHA(a.head)+": "+desc); err != nil {
			return err
		}
	}
	for _, sha := range []string{a.head, a.commitSHA} {
		if sha == "" {
			continue
		}
		if err := s.rep.SetStatus(ctx, s.fab.Repository, sha, state, s.statusCtx, desc); err != nil {
			return err
		}
	}
	if !s.h.Reporters.App() {
		return nil
	}
	conclusion := "success"
	if len(plan.Errors) > 0 {
		conclusion = "failure"
	}
	return s.rep.CreateCheckRun(ctx, s.fab.Repository, a.head, s.statusCtx, conclusion, desc, commitSummary(plan), annotations(s.fab, plan))
}

func shortSHA(sha string) string { return sha[:min(len(sha), 7)] }

// annotations point at each rejected file and line.
func annotations(fab fabrics.Fabric, plan *ingestion.Plan) []github.Annotation {
	var anns []github.Annotation
	for _, e := range plan.Errors {
		msg := e.Message
		if e.Path != "" {
			msg = e.Path + ": " + msg
		}
		anns = append(anns, github.Annotation{Path: path.Join(fab.Path, e.File), Line: e.Line, Title: string(e.Code), Message: msg})
	}
	return anns
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
func commitMessage(fab fabrics.Fabric, p SyncPayload, plan *ingestion.Plan, fence int64) string {
	return fmt.Sprintf("fgd-sync: ingest raw/ of fabric %s\n\n%s\n\n%s", fab.Name, commitSummary(plan), trailers(p, fence))
}

// initMessage lists the skeleton files a new fabric's first commit creates.
func initMessage(fab fabrics.Fabric, p SyncPayload, plan *ingestion.Plan, fence int64) string {
	created := make([]string, 0, len(plan.Writes))
	for _, w := range plan.Writes {
		created = append(created, "- "+w.Path)
	}
	return fmt.Sprintf("fgd-sync: initialize the FGD structure of fabric %s\n\nCreated:\n%s\n\n%s", fab.Name, strings.Join(created, "\n"), trailers(p, fence))
}

// trailers end every commit of fgd-sync: the sync, its trigger, and the
// fencing token it held when it committed.
func trailers(p SyncPayload, fence int64) string {
	return fmt.Sprintf("FGD-Sync-Id: %s\nFGD-Trigger: %s\nFGD-Fence: %d\n", p.SyncID, p.Trigger, fence)
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
