package github

import (
	"context"
	"errors"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// MaxPullRequestFiles is where GitHub stops listing a pull request's files
// (GET /repos/{owner}/{repo}/pulls/{number}/files answers at most 3,000).
// A list this long may be incomplete.
const MaxPullRequestFiles = 3000

// ErrNoAPI means there are no GitHub API credentials to ask with.
var ErrNoAPI = errors.New("no GitHub API credentials")

// PullRequestFiles lists the files a pull request changes, page by page,
// with the former name of each renamed file: moving a file out of a
// folder changes that folder too.
func (a *API) PullRequestFiles(ctx context.Context, repository string, number int) ([]string, error) {
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		return nil, &fgderr.Error{Code: fgderr.InvalidStructure, Msg: "repository " + repository + " is not owner/name"}
	}
	var files []string
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := a.client.PullRequests.ListFiles(ctx, owner, name, number, opts)
		if err != nil {
			return nil, a.classify(err, "list the pull request's files")
		}
		for _, f := range page {
			files = append(files, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				files = append(files, prev)
			}
		}
		if resp.NextPage == 0 {
			return files, nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequestFileLister lists a pull request's files with the API client
// of its repository.
type PullRequestFileLister struct {
	Credentials Credentials
}

// PullRequestFiles lists the files; ErrNoAPI without API credentials.
func (l PullRequestFileLister) PullRequestFiles(ctx context.Context, repository string, number int) ([]string, error) {
	if l.Credentials == nil {
		return nil, ErrNoAPI
	}
	api, err := l.Credentials.API(ctx, repository)
	if err != nil {
		return nil, err
	}
	if api == nil {
		return nil, ErrNoAPI
	}
	return api.PullRequestFiles(ctx, repository, number)
}
