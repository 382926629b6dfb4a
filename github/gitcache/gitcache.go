// Package gitcache is the git side of fgd-sync: one go-git clone per
// fabric, fetched and hard-reset to the remote head before each sync, and
// the commit and push of the sync's result. The clones are only a cache.
//
// Everything a repository holds is data: only allowed remotes are
// contacted, only the fabric folder is checked out and only within limits,
// no symlink is ever followed, and a commit holds exactly the planned
// changes.
package gitcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
)

// Author is the commit author.
type Author struct {
	Name  string
	Email string
}

// RepoCache keeps one clone per fabric under Dir. It is only a cache: any
// clone can be thrown away and made again. Folders it creates are 0700 and
// files 0600, whatever the umask.
type RepoCache struct {
	Dir      string
	Creds    github.Credentials // nil: no auth
	Author   Author
	Breakers *github.Breakers // nil: no circuit breaking
	// Allowed are the URL prefixes a clone URL must start with
	// (HEDGEHOG_FGD_GIT_ALLOWED_URLS). Any other URL is refused before it is
	// contacted and before a token is minted; an empty list allows nothing.
	Allowed github.AllowedRemotes
	// MaxCheckoutBytes and MaxCheckoutFiles bound the fabric folder a sync
	// checks out, measured from the objects before anything is written
	// (DefaultMaxCheckoutBytes and DefaultMaxCheckoutFiles when zero).
	MaxCheckoutBytes int64
	MaxCheckoutFiles int

	sizes blobSizes
}

type checkoutLimits struct {
	bytes int64
	files int
}

func (rc *RepoCache) limits() checkoutLimits {
	l := checkoutLimits{bytes: rc.MaxCheckoutBytes, files: rc.MaxCheckoutFiles}
	if l.bytes <= 0 {
		l.bytes = DefaultMaxCheckoutBytes
	}
	if l.files <= 0 {
		l.files = DefaultMaxCheckoutFiles
	}
	return l
}

// Checkout is a fabric's clone with the fabric folder checked out at the
// remote branch head.
type Checkout struct {
	breakers   *github.Breakers
	host       string
	repo       *git.Repository
	dir        string
	branch     string
	fabricPath string
	limits     checkoutLimits
	sizes      *blobSizes
	auth       transport.AuthMethod
	secret     string
	head       plumbing.Hash
	author     Author
	// expect maps each file a Commit since Open wrote (repository path) to
	// its blob, or to the zero hash when it removed it: what a push checks.
	expect map[string]plumbing.Hash
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

// fabricPathMarker, inside .git, names the folder a clone checks out: a
// clone made for another folder is made again.
const fabricPathMarker = "fgd-sync-fabric-path"

// Open returns the clone of key (a fabric name) for url at branch, with the
// folder fabricPath (slash-separated, "." for the whole repository) checked
// out at the remote head and nothing else: cloned on first use, else
// fetched and hard-reset. Before anything is contacted, url must be on the
// allow list (FGD_4002). Before anything is checked out, the fabric path
// must hold no symlink (FGD_2003) and its files must fit the checkout
// limits (FGD_1006). A clone that cannot be opened or fetched for any
// reason but the network, the credentials or the repository's content is
// thrown away and cloned again.
func (rc *RepoCache) Open(ctx context.Context, key, repository, url, branch, fabricPath string) (*Checkout, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := checkFabricPath(fabricPath); err != nil {
		return nil, err
	}
	if err := rc.Allowed.Check(url); err != nil {
		msg := err.Error()
		var fe *fgderr.Error
		if errors.As(err, &fe) {
			msg = fe.Msg
		}
		return nil, fgderr.New(fgderr.GitHubAuth, "%s; nothing was contacted and no credentials were sent", msg)
	}
	auth, secret, err := rc.auth(ctx, repository, url)
	if err != nil {
		return nil, err
	}
	if err := mkdirPrivate(rc.Dir); err != nil {
		return nil, fmt.Errorf("create the cache folder: %w", err)
	}
	dir := filepath.Join(rc.Dir, key)
	c := &Checkout{dir: dir, branch: branch, fabricPath: fabricPath, limits: rc.limits(), sizes: &rc.sizes, auth: auth, secret: secret,
		author: rc.Author, breakers: rc.Breakers, host: github.HostOf(url), expect: map[string]plumbing.Hash{}}
	if sameFabricPath(dir, fabricPath) {
		err := c.breakers.Do(c.host, func() error { return c.fetch(ctx) })
		if err == nil {
			err = c.checkoutRemoteHead()
		}
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
	if err := c.checkoutRemoteHead(); err != nil {
		return nil, err
	}
	return c, nil
}

// sameFabricPath reports whether dir holds a clone made for fabricPath.
func sameFabricPath(dir, fabricPath string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ".git", fabricPathMarker))
	return err == nil && string(b) == fabricPath
}

// isCacheProblem reports whether a refresh failed because of the local
// clone rather than the remote or the repository's content: such a clone is
// re-made.
func isCacheProblem(err error) bool {
	if transient, _ := fgderr.IsTransient(err); transient {
		return false
	}
	switch fgderr.CodeOf(err) {
	case fgderr.GitHubAuth, fgderr.GitHubNotFound, fgderr.Symlink, fgderr.LimitExceeded, fgderr.InvalidStructure, fgderr.PathEscape:
		return false
	}
	return true
}

// auth returns the credentials for url, which Open has checked against the
// allow list: no token is minted or sent for any other URL.
func (rc *RepoCache) auth(ctx context.Context, repository, url string) (transport.AuthMethod, string, error) {
	scheme := strings.ToLower(url[:strings.Index(url, ":")+1]) // the allow list compares schemes in lower case too
	if rc.Creds == nil || (scheme != "https:" && scheme != "http:") {
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

// openRepository opens the clone at dir through private-mode filesystems.
func openRepository(dir string) (*git.Repository, error) {
	storage := filesystem.NewStorage(newPrivateFS(filepath.Join(dir, git.GitDirName)), cache.NewObjectLRUDefault())
	return git.Open(storage, newPrivateFS(dir))
}

// clone fetches the branch into a fresh clone without checking anything
// out; only a complete clone takes the cache's name.
func (c *Checkout) clone(ctx context.Context, url string) error {
	tmp := c.dir + ".cloning"
	_ = os.RemoveAll(tmp)
	if err := mkdirPrivate(tmp); err != nil {
		return fmt.Errorf("create cache folder: %w", err)
	}
	storage := filesystem.NewStorage(newPrivateFS(filepath.Join(tmp, git.GitDirName)), cache.NewObjectLRUDefault())
	_, err := git.CloneContext(ctx, storage, newPrivateFS(tmp), &git.CloneOptions{
		URL: url, Auth: c.auth, RemoteName: "origin", NoCheckout: true,
		ReferenceName: plumbing.NewBranchReferenceName(c.branch), SingleBranch: true,
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, git.GitDirName, fabricPathMarker), []byte(c.fabricPath), cacheFileMode)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return classifyGit(err, "clone", c.secret)
	}
	if err := os.Rename(tmp, c.dir); err != nil {
		return fmt.Errorf("place clone: %w", err)
	}
	if c.repo, err = openRepository(c.dir); err != nil {
		return fmt.Errorf("open new clone: %w", err)
	}
	return nil
}

func (c *Checkout) remoteRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName("origin", c.branch)
}

// fetch brings the remote branch into the cached clone.
func (c *Checkout) fetch(ctx context.Context) error {
	repo, err := openRepository(c.dir)
	if err != nil {
		return fmt.Errorf("open cached clone: %w", err)
	}
	c.repo = repo
	spec := gitconfig.RefSpec(fmt.Sprintf("+refs/heads/%s:%s", c.branch, c.remoteRef()))
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []gitconfig.RefSpec{spec}, Auth: c.auth, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return classifyGit(err, "fetch", c.secret)
	}
	return nil
}

// checkoutRemoteHead checks the fabric folder out at the fetched head,
// dropping anything a failed earlier sync left behind.
func (c *Checkout) checkoutRemoteHead() error {
	ref, err := c.repo.Reference(c.remoteRef(), true)
	if err != nil {
		return fgderr.Retryable(fgderr.GitHubNotFound, "fetch: the remote branch "+c.branch+" is missing after fetch", err)
	}
	return c.checkoutFabric(ref.Hash())
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

// push first checks that the head holds what the sync planned (FGD_3004,
// and nothing pushed, when not).
func (c *Checkout) push(ctx context.Context, spec string) error {
	if err := c.verifyHead(); err != nil {
		return err
	}
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
	if err := checkKey(key); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(rc.Dir, key))
}

// checkKey refuses a cache key that is not one plain folder name.
func checkKey(key string) error {
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, "/\\") {
		return fmt.Errorf("cache key %q is not a plain name", key)
	}
	return nil
}

// CommitMessage returns the message of a commit of the checkout.
func (c *Checkout) CommitMessage(hash string) (string, error) {
	obj, err := c.repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return "", err
	}
	return obj.Message, nil
}
