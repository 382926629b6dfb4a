package github

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Commit status states.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
)

// API is the part of the GitHub REST API fgd-sync uses.
type API struct {
	client *gh.Client
	secret string
	// identity finds the login the API acts as; GET /user when nil.
	identity func(ctx context.Context) (string, error)

	mu    sync.Mutex
	login string // the identity, once found
}

// NewAPI returns a client for baseURL (https://api.github.com/ or a GHES
// /api/v3/ URL) authenticated with token.
func NewAPI(baseURL, token string, httpClient *http.Client) (*API, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	c := gh.NewClient(httpClient)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	if baseURL != "" {
		// Used as given: https://api.github.com/, a GHES https://host/api/v3/,
		// or a test server.
		u, err := url.Parse(strings.TrimSuffix(baseURL, "/") + "/")
		if err != nil {
			return nil, fmt.Errorf("GitHub API URL: %w", err)
		}
		c.BaseURL = u
	}
	return &API{client: c, secret: token}, nil
}

// SetStatus posts a commit status. description is cut to GitHub's 140
// characters.
func (a *API) SetStatus(ctx context.Context, repository, sha, state, context, description string) error {
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		return &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "repository " + repository + " is not owner/name"}
	}
	if len(description) > 140 {
		description = description[:137] + "..."
	}
	_, _, err := a.client.Repositories.CreateStatus(ctx, owner, name, sha, &gh.RepoStatus{
		State: gh.String(state), Context: gh.String(context), Description: gh.String(description),
	})
	return a.classify(err, "set commit status")
}

// Identity is the login fgd-sync acts as on GitHub: the token's user (GET
// /user), or "<app-slug>[bot]" for a GitHub App. It is looked up once.
func (a *API) Identity(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.login != "" {
		return a.login, nil
	}
	find := a.identity
	if find == nil {
		find = a.user
	}
	login, err := find(ctx)
	if err != nil {
		return "", err
	}
	a.login = login
	return login, nil
}

// user is the token's user, from GET /user.
func (a *API) user(ctx context.Context) (string, error) {
	u, _, err := a.client.Users.Get(ctx, "")
	if err != nil {
		return "", a.classify(err, "find the user the token belongs to (GET /user)")
	}
	if u.GetLogin() == "" {
		return "", &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "GET /user named no login"}
	}
	return u.GetLogin(), nil
}

// PullRequest is an open pull request.
type PullRequest struct {
	Number int
	URL    string
	Head   string
}

// ownPullRequest returns the open pull request into base that fgd-sync
// opened for the fabric marked by marker, if any. Only one whose head
// branch is an fgd/ branch of the repository itself (not of a fork) and
// whose author is fgd-sync's own identity counts: anyone else's pull
// request is never picked up, updated or pushed to. Every page is read.
func (a *API) ownPullRequest(ctx context.Context, repository, base, marker string) (*gh.PullRequest, error) {
	me, err := a.Identity(ctx)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(repository, "/")
	opts := &gh.PullRequestListOptions{State: "open", Base: base, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := a.client.PullRequests.List(ctx, owner, name, opts)
		if err != nil {
			return nil, a.classify(err, "list pull requests")
		}
		for _, pr := range page {
			if ownedBy(pr, repository, me) && strings.Contains(pr.GetBody(), marker) {
				return pr, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// ownedBy reports whether pr comes from an fgd/ branch of repository itself
// and was opened by login.
func ownedBy(pr *gh.PullRequest, repository, login string) bool {
	head, base := pr.GetHead().GetRepo(), pr.GetBase().GetRepo()
	if head == nil || !strings.EqualFold(head.GetFullName(), repository) {
		return false // a fork, or a deleted one
	}
	if base != nil && head.GetID() != 0 && base.GetID() != 0 && head.GetID() != base.GetID() {
		return false
	}
	return strings.HasPrefix(pr.GetHead().GetRef(), "fgd/") && strings.EqualFold(pr.GetUser().GetLogin(), login)
}

// OpenOrUpdatePR opens a pull request from head to base, or, when fgd-sync's
// own pull request for this fabric is open, edits that one to point at the
// new work. It returns the pull request.
func (a *API) OpenOrUpdatePR(ctx context.Context, repository, head, base, title, body, marker string) (PullRequest, error) {
	owner, name, _ := strings.Cut(repository, "/")
	own, err := a.ownPullRequest(ctx, repository, base, marker)
	if err != nil {
		return PullRequest{}, err
	}
	if own != nil {
		edited, _, err := a.client.PullRequests.Edit(ctx, owner, name, own.GetNumber(), &gh.PullRequest{Title: gh.String(title), Body: gh.String(body)})
		if err != nil {
			return PullRequest{}, a.classify(err, "update pull request")
		}
		return PullRequest{Number: edited.GetNumber(), URL: edited.GetHTMLURL(), Head: own.GetHead().GetRef()}, nil
	}
	pr, _, err := a.client.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{Title: gh.String(title), Head: gh.String(head), Base: gh.String(base), Body: gh.String(body)})
	if err != nil {
		return PullRequest{}, a.classify(err, "open pull request")
	}
	return PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Head: head}, nil
}

// FindOpenPR returns fgd-sync's own open pull request for a fabric, if any
// (see ownPullRequest for what counts as its own).
func (a *API) FindOpenPR(ctx context.Context, repository, base, marker string) (PullRequest, bool, error) {
	pr, err := a.ownPullRequest(ctx, repository, base, marker)
	if err != nil || pr == nil {
		return PullRequest{}, false, err
	}
	return PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Head: pr.GetHead().GetRef()}, true, nil
}

// classify turns a go-github error into a transient or permanent typed
// error, honouring the rate-limit reset and Retry-After.
func (a *API) classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe *fgderr.Error
	if errors.As(err, &fe) && fe.Transient {
		return fe // from the circuit breaker
	}
	msg := what + ": " + fgderr.Redact(err.Error(), a.secret)
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var resp *gh.ErrorResponse
	var netErr net.Error
	switch {
	case errors.As(err, &rl):
		wait := time.Until(rl.Rate.Reset.Time)
		return &fgderr.Error{Code: fgderr.GitHubRateLimit, Msg: what + ": GitHub rate limit reached", Transient: true, RetryAfter: max(wait, time.Second)}
	case errors.As(err, &abuse):
		return &fgderr.Error{Code: fgderr.GitHubRateLimit, Msg: what + ": GitHub secondary rate limit", Transient: true, RetryAfter: max(abuse.GetRetryAfter(), time.Second)}
	case errors.As(err, &resp) && resp.Response != nil:
		switch code := resp.Response.StatusCode; {
		case code == http.StatusUnauthorized:
			return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: what + ": GitHub refused the credentials"}
		case code == http.StatusForbidden:
			if after := resp.Response.Header.Get("Retry-After"); after != "" {
				return &fgderr.Error{Code: fgderr.GitHubRateLimit, Msg: what + ": GitHub asked to retry later", Transient: true, RetryAfter: parseRetryAfter(after)}
			}
			return &fgderr.Error{Code: fgderr.GitHubAuth, Msg: what + ": the token may not do this (403): " + resp.Message}
		case code == http.StatusNotFound:
			return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: what + ": not found (or not visible to the token)"}
		case code == http.StatusTooManyRequests:
			return &fgderr.Error{Code: fgderr.GitHubRateLimit, Msg: msg, Transient: true, RetryAfter: parseRetryAfter(resp.Response.Header.Get("Retry-After"))}
		case code >= 500:
			return fgderr.Retryable(fgderr.GitHubConnection, fmt.Sprintf("%s: GitHub answered %d", what, code), nil)
		default:
			return &fgderr.Error{Code: fgderr.SyncFailed, Msg: msg}
		}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return fgderr.Retryable(fgderr.GitHubConnection, msg, nil)
	}
	return fgderr.Retryable(fgderr.GitHubConnection, msg, nil)
}

func parseRetryAfter(v string) time.Duration {
	if d, err := time.ParseDuration(strings.TrimSpace(v) + "s"); err == nil && d > 0 {
		return d
	}
	return time.Second
}

// Annotation points at one line of one file.
type Annotation struct {
	Path    string
	Line    int
	Title   string
	Message string
}

// maxAnnotations is GitHub's limit of annotations per request: more are
// sent by updating the check run in batches.
const maxAnnotations = 50

// CreateCheckRun records a completed check run on sha with all its
// annotations. Only a GitHub App may create check runs.
func (a *API) CreateCheckRun(ctx context.Context, repository, sha, name, conclusion, title, summary string, annotations []Annotation) error {
	owner, repo, _ := strings.Cut(repository, "/")
	batch := func(from int) []*gh.CheckRunAnnotation {
		var anns []*gh.CheckRunAnnotation
		for _, an := range annotations[from:min(from+maxAnnotations, len(annotations))] {
			line := max(an.Line, 1)
			anns = append(anns, &gh.CheckRunAnnotation{Path: gh.String(an.Path), StartLine: gh.Int(line), EndLine: gh.Int(line),
				AnnotationLevel: gh.String("failure"), Title: gh.String(an.Title), Message: gh.String(an.Message)})
		}
		return anns
	}
	output := func(from int) *gh.CheckRunOutput {
		return &gh.CheckRunOutput{Title: gh.String(title), Summary: gh.String(summary), Annotations: batch(from)}
	}
	run, _, err := a.client.Checks.CreateCheckRun(ctx, owner, repo, gh.CreateCheckRunOptions{
		Name: name, HeadSHA: sha, Status: gh.String("completed"), Conclusion: gh.String(conclusion), Output: output(0),
	})
	if err != nil {
		return a.classify(err, "create check run")
	}
	for from := maxAnnotations; from < len(annotations); from += maxAnnotations {
		_, _, err := a.client.Checks.UpdateCheckRun(ctx, owner, repo, run.GetID(), gh.UpdateCheckRunOptions{Name: name, Output: output(from)})
		if err != nil {
			return a.classify(err, "add check run annotations")
		}
	}
	return nil
}
