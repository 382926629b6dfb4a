// Package gitcache is the git side of fgd-sync: one go-git clone per
// fabric, fetched and hard-reset to the remote head before each sync, and
// the commit and push of the sync's result. The clones are only a cache.
package gitcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
)

// Author is the commit author.
type Author struct {
	Name  string
	Email string
}

// RepoCache keeps one clone per fabric under Dir. It is only a cache: any
// clone can be thrown away and made again.
type RepoCache struct {
	Dir      string
	Creds    github.Credentials // nil: no auth (file:// and local paths)
	Author   Author
	Breakers *github.Breakers // nil: no circuit breaking
}

// Checkout is a fabric's clone, reset to the remote branch head.
type Checkout struct {
	breakers *github.Breakers
	host     string
	repo     *git.Repository
	dir      string
	branch   string
	auth     transport.AuthMethod
	secret   string
	head     plumbing.Hash
	author   Author
}

// Head is the commit the checkout is at.
func (c *Checkout) Head() string { return c.head.String() }

// Dir is the work tree.
func (c *Checkout) Dir() string { return c.dir }

// CloneURL is the URL of a GitHub repository, or an explicit one.
func CloneURL(explicit, apiURL, repository string) string {
	if explicit != "" {
		return explicit
	}
	host := "https://github.com/"
	if apiURL != "" && !strings.Contains(apiURL, "api.github.com") {
		// GHES serves the API at https://host/api/v3/ and git at https://host/.
		if i := strings.Index(apiURL, "/api/"); i > 0 {
			host = apiURL[:i+1]
		}
	}
	return host + repository + ".git"
}

// Open returns the clone of key (a fabric name) for url at branch: cloned on
// first use, else fetched and hard-reset to the remote head. A clone that
// cannot be opened or fetched for any reason but the network or the
// credentials is thrown away and cloned again.
func (rc *RepoCache) Open(ctx context.Context, key, repository, url, branch string) (*Checkout, error) {
	auth, secret, err := rc.auth(ctx, repository, url)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(rc.Dir, key)
	c := &Checkout{dir: dir, branch: branch, auth: auth, secret: secret, author: rc.Author, breakers: rc.Breakers, host: github.HostOf(url)}
	if _, statErr := os.Stat(filepath.Join(dir, ".git")); statErr == nil {
		err := c.breakers.Do(c.host, func() error { return c.refresh(ctx) })
		if err == nil {
			return c, nil
		}
		if transient, _ := fgderr.IsTransient(err); transient || !isCacheProblem(err) {
			return nil, err
		}
		// Corrupt or foreign: drop it and clone afresh.
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("drop cached clone: %w", err)
	}
	if err := c.breakers.Do(c.host, func() error { return c.clone(ctx, url) }); err != nil {
		return nil, err
	}
	return c, nil
}

// isCacheProblem reports whether a refresh failed because of the local
// clone rather than the remote: such a clone is re-made.
func isCacheProblem(err error) bool {
	if transient, _ := fgderr.IsTransient(err); transient {
		return false
	}
	switch fgderr.CodeOf(err) {
	case fgderr.GitHubAuth, fgderr.GitHubNotFound:
		return false
	}
	return true
}

func (rc *RepoCache) auth(ctx context.Context, repository, url string) (transport.AuthMethod, string, error) {
	if rc.Creds == nil || !(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		return nil, "", nil
	}
	tok, err := rc.Creds.Token(ctx, repository)
	if err != nil {
		return nil, "", err
	}
	if tok == "" {
		return nil, "", nil
	}
	// GitHub takes any user name with a token; x-access-token works for
	// personal and App installation tokens alike.
	return &githttp.BasicAuth{Username: "x-access-token", Password: tok}, tok, nil
}

func (c *Checkout) clone(ctx context.Context, url string) error {
	tmp := c.dir + ".cloning"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return fmt.Errorf("create cache folder: %w", err)
	}
	repo, err := git.PlainCloneContext(ctx, tmp, false, &git.CloneOptions{
		URL: url, Auth: c.auth, RemoteName: "origin",
		ReferenceName: plumbing.NewBranchReferenceName(c.branch), SingleBranch: true,
	})
	if err != nil {
		_ = os.RemoveAll(tmp)
		return classifyGit(err, "clone", c.secret)
	}
	_ = repo // reopened at its final path below
	// Only a complete clone takes the cache's name.
	if err := os.Rename(tmp, c.dir); err != nil {
		return fmt.Errorf("place clone: %w", err)
	}
	if c.repo, err = git.PlainOpen(c.dir); err != nil {
		return fmt.Errorf("open new clone: %w", err)
	}
	head, err := c.repo.Head()
	if err != nil {
		return fmt.Errorf("read head of new clone: %w", err)
	}
	c.head = head.Hash()
	return nil
}

func (c *Checkout) remoteRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName("origin", c.branch)
}

// refresh fetches the branch and resets the work tree to it, dropping
// anything a failed earlier sync left behind.
func (c *Checkout) refresh(ctx context.Context) error {
	repo, err := git.PlainOpen(c.dir)
	if err != nil {
		return fmt.Errorf("open cached clone: %w", err)
	}
	c.repo = repo
	spec := gitconfig.RefSpec(fmt.Sprintf("+refs/heads/%s:%s", c.branch, c.remoteRef()))
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []gitconfig.RefSpec{spec}, Auth: c.auth, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return classifyGit(err, "fetch", c.secret)
	}
	ref, err := repo.Reference(c.remoteRef(), true)
	if err != nil {
		return fgderr.Retryable(fgderr.GitHubNotFound, "fetch: the remote branch "+c.branch+" is missing after fetch", err)
	}
	return c.resetTo(ref.Hash())
}

// resetTo points the local branch and the work tree at hash, and removes
// untracked files.
func (c *Checkout) resetTo(hash plumbing.Hash) error {
	local := plumbing.NewBranchReferenceName(c.branch)
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(local, hash)); err != nil {
		return fmt.Errorf("set branch: %w", err)
	}
	if err := c.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, local)); err != nil {
		return fmt.Errorf("set HEAD: %w", err)
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return fmt.Errorf("work tree: %w", err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: hash, Mode: git.HardReset}); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	c.head = hash
	return nil
}

// FabricFS is a read-only view of the fabric folder of the work tree, which
// nothing can leave, symlinks included. A folder that does not exist yet is
// empty.
func (c *Checkout) FabricFS(fabricPath string) (fs.FS, func(), error) {
	root, err := os.OpenRoot(filepath.Join(c.dir, filepath.FromSlash(fabricPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return fstest.MapFS{}, func() {}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open fabric folder: %w", err)
	}
	return root.FS(), func() { root.Close() }, nil
}

// Change is one commit's worth of file changes, relative to the fabric
// folder.
type Change struct {
	Writes  map[string][]byte
	Removes []string
}

// Commit applies change under fabricPath and commits it. It returns the new
// commit's hash, or "" when the change changed nothing.
func (c *Checkout) Commit(fabricPath string, change Change, message string) (string, error) {
	root, err := openOrCreateRoot(filepath.Join(c.dir, filepath.FromSlash(fabricPath)))
	if err != nil {
		return "", err
	}
	defer root.Close()
	for name, data := range change.Writes {
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		if err := root.WriteFile(name, data, 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	for _, name := range change.Removes {
		if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("remove %s: %w", name, err)
		}
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("work tree: %w", err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("stage: %w", err)
	}
	status, err := wt.Status()
	if err != nil {
		return "", fmt.Errorf("status: %w", err)
	}
	if status.IsClean() {
		return "", nil
	}
	hash, err := wt.Commit(message, &git.CommitOptions{Author: &object.Signature{Name: c.author.Name, Email: c.author.Email, When: time.Now()}})
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	c.head = hash
	return hash.String(), nil
}

func openOrCreateRoot(dir string) (*os.Root, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create fabric folder: %w", err)
	}
	return os.OpenRoot(dir)
}

// Push pushes the local branch to the same branch on the remote. It never
// forces: a remote that moved answers ErrPushRejected.
func (c *Checkout) Push(ctx context.Context) error {
	return c.push(ctx, fmt.Sprintf("refs/heads/%s:refs/heads/%s", c.branch, c.branch))
}

// PushBranch pushes the local head to another branch, for pull requests.
// The branch is fgd-sync's own, so replacing it (force) is allowed.
func (c *Checkout) PushBranch(ctx context.Context, branch string) error {
	if !strings.HasPrefix(branch, "fgd/") {
		return fmt.Errorf("refusing to force-push %s: only fgd/ branches are fgd-sync's own", branch)
	}
	return c.push(ctx, fmt.Sprintf("+refs/heads/%s:refs/heads/%s", c.branch, branch))
}

func (c *Checkout) push(ctx context.Context, spec string) error {
	return c.breakers.Do(c.host, func() error {
		err := c.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []gitconfig.RefSpec{gitconfig.RefSpec(spec)}, Auth: c.auth})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		return classifyGit(err, "push", c.secret)
	})
}

// Drop removes a fabric's cached clone.
func (rc *RepoCache) Drop(key string) error {
	return os.RemoveAll(filepath.Join(rc.Dir, key))
}

// CommitMessage returns the message of a commit of the checkout.
func (c *Checkout) CommitMessage(hash string) (string, error) {
	obj, err := c.repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return "", err
	}
	return obj.Message, nil
}
