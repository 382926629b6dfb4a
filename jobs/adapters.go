package jobs

import (
	"context"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
)

// GitCache is the go-git repository cache as the sync's Repositories.
type GitCache struct {
	*gitcache.RepoCache
}

// Open returns the fabric's clone at the remote head.
func (c GitCache) Open(ctx context.Context, key, repository, url, branch string) (Checkout, error) {
	co, err := c.RepoCache.Open(ctx, key, repository, url, branch)
	if err != nil {
		return nil, err
	}
	return co, nil
}

// GitHubReporters are GitHub credentials as the sync's Reporters.
type GitHubReporters struct {
	Credentials github.Credentials
}

// Reporter returns the repository's API client, or nil without a token.
func (g GitHubReporters) Reporter(ctx context.Context, repository string) (Reporter, error) {
	api, err := g.Credentials.API(ctx, repository)
	if err != nil || api == nil {
		return nil, err
	}
	return api, nil
}

// App tells whether the credentials are a GitHub App's.
func (g GitHubReporters) App() bool { return g.Credentials.App() }
