package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/store"
)

// newSyncHandler wires the sync job: the fabric registry, the Redis store,
// the repository cache, the GitHub API and the CRD bundle. It is the only
// place a jobs.SyncHandler is built.
// Follow-up syncs go through queue: the replicated one when asked, so that
// a record never points to a follow-up that a failover dropped.
func newSyncHandler(p *Process, m *Metrics, queue jobs.Enqueuer) (*jobs.SyncHandler, error) {
	cfg := p.Config
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		return nil, fmt.Errorf("load the CRD bundle: %w", err)
	}
	breakers := m.Breakers
	creds, err := newCredentials(cfg, breakers.Transport(nil), m.RateLimits)
	if err != nil {
		return nil, err
	}
	if cfg.GitHubToken == "" && cfg.GitHubAppID == 0 {
		p.Log.Warn("no " + config.VarGitHubToken + " and no GitHub App: commit statuses and pull requests are off; git runs without credentials")
	}
	return &jobs.SyncHandler{
		Logger:  p.Log,
		Fabrics: p.Registry,
		Store:   store.New(p.Redis.Client, ""),
		Repos: jobs.GitCache{RepoCache: &gitcache.RepoCache{Dir: cfg.DataDir, Creds: creds, Breakers: breakers,
			Author:  gitcache.Author{Name: cfg.GitAuthorName, Email: cfg.GitAuthorEmail},
			Allowed: cfg.GitAllowedURLs, MaxCheckoutBytes: cfg.MaxCheckoutBytes, MaxCheckoutFiles: cfg.MaxCheckoutFiles}},
		Reporters: jobs.GitHubReporters{Credentials: creds},
		Queue:     queue,
		Bundle:    bundle,
		APIURL:    cfg.GitHubAPIURL,
		Timeout:   cfg.SyncTimeout,
		Metrics:   m.Syncs,

		MaxRawBytes: cfg.MaxRawBytes,
	}, nil
}

// newCredentials returns GitHub App credentials when an App is configured,
// else token credentials (possibly empty: git without credentials, no API).
func newCredentials(cfg config.Config, transport http.RoundTripper, limits *github.RateLimits) (github.Credentials, error) {
	if cfg.GitHubAppID != 0 {
		c, err := github.NewAppCredentials(cfg.GitHubAPIURL, cfg.GitHubAppID, cfg.GitHubAppKeyFile, transport)
		if err != nil {
			return nil, &config.Error{Var: config.VarGitHubAppKeyFile, Msg: "is not a usable GitHub App private key (RSA PEM expected)"}
		}
		c.RateLimits = limits
		return c, nil
	}
	c, err := github.NewTokenCredentials(cfg.GitHubAPIURL, cfg.GitHubToken.Reveal(),
		&http.Client{Transport: limits.Transport(github.TokenInstallation, transport), Timeout: 30 * time.Second})
	if err != nil {
		return nil, &config.Error{Var: config.VarGitHubAPIURL, Msg: "is not a usable API URL"}
	}
	return c, nil
}
