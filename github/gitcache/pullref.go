package gitcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
)

// PullRequestCacheKey names the one clone in which a fabric's pull requests
// are checked, apart from the clone its syncs write with: what a pull
// request brings (objects, files, symlinks) never enters the clone that
// pushes. "*" cannot be in a branch name, so the key is never a branch's.
func PullRequestCacheKey(fabric, url string) string {
	return CacheKey(fabric, url, "refs/pull/*/head")
}

// PullRequestCheckout is a clone at a pull request's head. It can be read,
// not committed to or pushed from: a pull request is only ever validated.
type PullRequestCheckout struct {
	c *Checkout
}

// Head is the pull request's head commit as fetched.
func (p *PullRequestCheckout) Head() string { return p.c.Head() }

// FabricFS is a read-only view of the fabric folder at the pull request's
// head, as Checkout.FabricFS.
func (p *PullRequestCheckout) FabricFS(fabricPath string) (fs.FS, func(), error) {
	return p.c.FabricFS(fabricPath)
}

// pullRequestBranch is the local branch of a pull-request clone; nothing
// ever pushes it.
const pullRequestBranch = "fgd-pull-request"

// OpenPullRequest fetches refs/pull/<number>/head from url, the base
// repository's clone URL, into the clone of key and checks it out. GitHub
// keeps that ref in the base repository for every pull request, a fork's
// included, so the fork is never contacted. A clone that cannot be used
// for any reason but the network or the credentials is made again.
func (rc *RepoCache) OpenPullRequest(ctx context.Context, key, repository, url string, number int, fabricPath string) (*PullRequestCheckout, error) {
	if number <= 0 {
		return nil, &fgderr.Error{Code: fgderr.BadRequest, Msg: fmt.Sprintf("pull request number %d is not positive", number)}
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := checkFabricPath(fabricPath); err != nil {
		return nil, err
	}
	// As for a sync: only an allowed remote is contacted or given a token.
	if err := rc.Allowed.Check(url); err != nil {
		return nil, &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "the fabric's clone URL is not allowed", Err: err}
	}
	auth, secret, err := rc.auth(ctx, repository, url)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(rc.Dir, key)
	// Only the fabric's folder is checked out, with the same symlink check
	// and limits as a sync's checkout.
	c := &Checkout{dir: dir, branch: pullRequestBranch, auth: auth, secret: secret, author: rc.Author, breakers: rc.Breakers,
		host: github.HostOf(url), fabricPath: fabricPath, limits: rc.limits(), sizes: &rc.sizes}
	fetch := func() error {
		return c.breakers.Do(c.host, func() error { return c.fetchPullRequest(ctx, url, number) })
	}
	err = fetch()
	if err != nil && isCacheProblem(err) && fgderr.CodeOf(err) != fgderr.GitHubNotFound {
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return nil, fmt.Errorf("drop cached clone: %w", rmErr)
		}
		err = fetch()
	}
	if err != nil {
		return nil, err
	}
	return &PullRequestCheckout{c: c}, nil
}

// fetchPullRequest opens (or starts) the clone, fetches the pull request's
// head ref and hard-resets the work tree to it.
func (c *Checkout) fetchPullRequest(ctx context.Context, url string, number int) error {
	repo, err := openRepository(c.dir) // 0700/0600, as every clone of the cache
	if err != nil {
		if repo, err = initPullRequestClone(c.dir, url); err != nil {
			return err
		}
	}
	if remote, err := repo.Remote("origin"); err != nil || len(remote.Config().URLs) != 1 || remote.Config().URLs[0] != url {
		return fmt.Errorf("the cached clone's origin is not %s", url)
	}
	c.repo = repo
	local := plumbing.ReferenceName(fmt.Sprintf("refs/remotes/origin/pull/%d/head", number))
	spec := gitconfig.RefSpec(fmt.Sprintf("+refs/pull/%d/head:%s", number, local))
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []gitconfig.RefSpec{spec}, Auth: c.auth, Force: true, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		err = classifyGit(err, fmt.Sprintf("fetch refs/pull/%d/head", number), c.secret)
		if fgderr.CodeOf(err) == fgderr.GitHubNotFound {
			return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: fmt.Sprintf("fetch: refs/pull/%d/head is not in the base repository (is the pull request there?)", number), Err: err}
		}
		return err
	}
	ref, err := repo.Reference(local, true)
	if err != nil {
		return &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: fmt.Sprintf("fetch: refs/pull/%d/head is missing after the fetch", number), Err: err}
	}
	return c.checkoutFabric(ref.Hash())
}

// initPullRequestClone starts an empty clone whose origin is url; the
// first fetch fills it.
func initPullRequestClone(dir, url string) (*git.Repository, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("drop cached clone: %w", err)
	}
	if err := mkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("create cache folder: %w", err)
	}
	storage := filesystem.NewStorage(newPrivateFS(filepath.Join(dir, git.GitDirName)), cache.NewObjectLRUDefault())
	repo, err := git.Init(storage, newPrivateFS(dir))
	if err != nil {
		return nil, fmt.Errorf("start the pull-request clone: %w", err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("start the pull-request clone: %w", err)
	}
	return repo, nil
}
