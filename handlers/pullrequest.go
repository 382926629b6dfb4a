package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/jobs"
)

// PullRequestFiles lists the files a pull request changes
// (github.PullRequestFileLister); github.ErrNoAPI without credentials.
type PullRequestFiles interface {
	PullRequestFiles(ctx context.Context, repository string, number int) ([]string, error)
}

// pullRequestFilesTimeout bounds the listing of a pull request's files:
// GitHub waits 10 seconds for the answer to a delivery.
const pullRequestFilesTimeout = 5 * time.Second

// checkedActions are the pull_request actions that bring a head to check.
var checkedActions = map[string]bool{"opened": true, "synchronize": true, "reopened": true, "ready_for_review": true}

var commitSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// pullRequest queues a validate-only sync of the pull request's head for
// each fabric whose repository and branch it targets and whose folder it
// changes. The head is fetched by the worker from the base repository as
// refs/pull/<number>/head: the fork named in the payload is only logged.
func (h *WebhookHandler) pullRequest(w http.ResponseWriter, ctx context.Context, d delivery) {
	var ev gh.PullRequestEvent
	if err := json.Unmarshal(d.payload, &ev); err != nil {
		h.reject(w, d, fgderr.BadRequest, "pull_request payload does not match GitHub's pull_request event shape")
		return
	}
	action, pr, repo := ev.GetAction(), ev.GetPullRequest(), ev.GetRepo().GetFullName()
	if !checkedActions[action] {
		h.ignore(w, d, "pull_request action "+action+" is not checked")
		return
	}
	switch {
	case pr == nil || pr.GetNumber() <= 0:
		h.reject(w, d, fgderr.BadRequest, "pull_request payload has no pull_request.number")
		return
	case repo == "":
		h.reject(w, d, fgderr.BadRequest, "pull_request payload has no repository.full_name")
		return
	case pr.GetBase().GetRepo().GetFullName() != "" && pr.GetBase().GetRepo().GetFullName() != repo:
		h.reject(w, d, fgderr.BadRequest, "pull_request.base.repo.full_name is not repository.full_name")
		return
	case !commitSHA.MatchString(pr.GetHead().GetSHA()):
		h.reject(w, d, fgderr.BadRequest, "pull_request.head.sha is not a commit id")
		return
	case pr.GetState() == "closed":
		h.ignore(w, d, "pull request is closed")
		return
	}
	number, base := pr.GetNumber(), pr.GetBase().GetRef()
	d = d.with(slog.String("repository", repo), slog.Int("pull_request", number), slog.String("base", base),
		slog.String("head_sha", pr.GetHead().GetSHA()), slog.String("head_repository", pr.GetHead().GetRepo().GetFullName()))

	lookupCtx, cancel := context.WithTimeout(ctx, h.enqueueTimeout())
	candidates, err := h.Fabrics.ByRepository(lookupCtx, repo)
	cancel()
	if err != nil {
		h.unavailable(w, d, err)
		return
	}
	if len(candidates) == 0 {
		h.ignore(w, d, "repository "+repo+" is not registered")
		return
	}
	var onBase []fabrics.Fabric
	for _, f := range candidates {
		if f.Branch == base {
			onBase = append(onBase, f)
		}
	}
	if len(onBase) == 0 {
		h.ignore(w, d, "base branch "+base+" is not watched")
		return
	}
	matched := h.touchedBy(ctx, d, repo, number, onBase)
	if len(matched) == 0 {
		h.ignore(w, d, "no change under the fabric path")
		return
	}
	h.queuePullRequest(w, ctx, d, &ev, matched, len(onBase) > 1)
}

// touchedBy returns the fabrics whose folder the pull request changes,
// from the API's list of its files (the payload has none). Without the
// API, or when the list fails or may be cut short, every fabric counts as
// touched: a needless validation costs less than a missed one.
func (h *WebhookHandler) touchedBy(ctx context.Context, d delivery, repo string, number int, onBase []fabrics.Fabric) []fabrics.Fabric {
	if h.PullRequestFiles == nil {
		return onBase
	}
	ctx, cancel := context.WithTimeout(ctx, pullRequestFilesTimeout)
	defer cancel()
	files, err := h.PullRequestFiles.PullRequestFiles(ctx, repo, number)
	switch {
	case errors.Is(err, github.ErrNoAPI):
		return onBase
	case err != nil:
		h.log(d, slog.LevelWarn, "could not list the pull request's files; checking every fabric of the branch", slog.Any("error", err))
		return onBase
	case len(files) >= github.MaxPullRequestFiles:
		return onBase
	}
	var touched []fabrics.Fabric
	for _, f := range onBase {
		for _, file := range files {
			if f.Touches(file) {
				touched = append(touched, f)
				break
			}
		}
	}
	return touched
}

// queuePullRequest enqueues one validation per fabric, with the delivery's
// sync id as TaskID, so that a redelivery is refused as for a push. When
// several fabrics watch the branch, each reports under a context of its
// own, so that one's success never hides another's failure.
func (h *WebhookHandler) queuePullRequest(w http.ResponseWriter, ctx context.Context, d delivery, ev *gh.PullRequestEvent, matched []fabrics.Fabric, shared bool) {
	ctx, cancel := context.WithTimeout(ctx, h.enqueueTimeout())
	defer cancel()
	pr := ev.GetPullRequest()
	now := time.Now().UTC()
	ref := fmt.Sprintf("refs/pull/%d/head", pr.GetNumber())
	payloads := make([]jobs.SyncPayload, 0, len(matched))
	for _, f := range matched {
		statusContext := jobs.ValidateStatusContext
		if shared {
			statusContext += "/" + f.Name
		}
		payloads = append(payloads, jobs.SyncPayload{
			// Keyed on what is validated, not on the delivery: the same
			// head of the same pull request, redelivered or re-sent under
			// a new delivery id, is validated once.
			SyncID: PushSyncID(f.Name, ref, pr.GetBase().GetSHA(), pr.GetHead().GetSHA()),
			Fabric: f.Name, Trigger: jobs.TriggerPullRequest, DeliveryID: d.id, CreatedAt: now, Ref: ref, After: pr.GetHead().GetSHA(),
			PullRequest: &jobs.PullRequestTarget{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(), HeadRepository: pr.GetHead().GetRepo().GetFullName(),
				UpdatedAt: pr.GetUpdatedAt().Time, StatusContext: statusContext},
		})
	}
	h.enqueueSyncs(w, ctx, d, payloads, "pull request validation queued")
}
