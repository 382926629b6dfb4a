package gitcache

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Default checkout limits (HEDGEHOG_FGD_MAX_CHECKOUT_BYTES and
// HEDGEHOG_FGD_MAX_CHECKOUT_FILES), used when RepoCache leaves them zero.
const (
	DefaultMaxCheckoutBytes = 256 << 20
	DefaultMaxCheckoutFiles = 100_000
)

// checkFabricPath refuses a fabric path that could leave the work tree or
// reach into .git. Fabric validation refuses the same; this is the last
// line.
func checkFabricPath(fabricPath string) error {
	if fabricPath == "." {
		return nil
	}
	if fabricPath == "" || path.IsAbs(fabricPath) || path.Clean(fabricPath) != fabricPath || strings.Contains(fabricPath, `\`) {
		return fgderr.New(fgderr.PathEscape, "fabric path %q must be a clean relative path inside the repository", fabricPath)
	}
	for _, seg := range strings.Split(fabricPath, "/") {
		if seg == ".." {
			return fgderr.New(fgderr.PathEscape, "fabric path %q must not contain ..", fabricPath)
		}
		if strings.EqualFold(seg, ".git") {
			return fgderr.New(fgderr.PathEscape, "fabric path %q must not be .git or lie under it", fabricPath)
		}
	}
	return nil
}

// fabricTree returns the tree of the fabric folder in commit, or nil when
// the folder does not exist yet. A symlink among the path's components is
// FGD_2003: it is refused here, from the objects, before anything is
// written.
func (c *Checkout) fabricTree(commit plumbing.Hash) (*object.Tree, error) {
	obj, err := c.repo.CommitObject(commit)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", commit, err)
	}
	tree, err := obj.Tree()
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s: %w", commit, err)
	}
	if c.fabricPath == "." {
		return tree, nil
	}
	walked := ""
	for _, seg := range strings.Split(c.fabricPath, "/") {
		walked = path.Join(walked, seg)
		var entry *object.TreeEntry
		for i := range tree.Entries {
			if tree.Entries[i].Name == seg {
				entry = &tree.Entries[i]
				break
			}
		}
		switch {
		case entry == nil:
			return nil, nil
		case entry.Mode == filemode.Symlink:
			return nil, fgderr.New(fgderr.Symlink, "%s of the fabric path %q is a symlink in commit %s; fgd-sync never follows symlinks: make it a real folder", walked, c.fabricPath, short(commit))
		case entry.Mode != filemode.Dir:
			return nil, fgderr.New(fgderr.InvalidStructure, "%s of the fabric path %q is a file in commit %s, not a folder", walked, c.fabricPath, short(commit))
		}
		if tree, err = c.repo.TreeObject(entry.Hash); err != nil {
			return nil, fmt.Errorf("read the tree of %s: %w", walked, err)
		}
	}
	return tree, nil
}

// checkBudget counts the files a checkout of tree writes and sums their
// sizes from the object headers (no blob is read), and refuses with
// FGD_1006 a tree above the limits.
func (c *Checkout) checkBudget(tree *object.Tree, commit plumbing.Hash) error {
	if tree == nil {
		return nil
	}
	var files, bytes int64
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("walk the tree of %s: %w", short(commit), err)
		}
		if entry.Mode == filemode.Dir {
			continue
		}
		files++
		if entry.Mode != filemode.Submodule {
			size, err := c.sizes.get(entry.Hash, c.repo.Storer.EncodedObjectSize)
			if err != nil {
				return fmt.Errorf("size of %s: %w", name, err)
			}
			bytes += size
		}
		if files > int64(c.limits.files) {
			return fgderr.New(fgderr.LimitExceeded, "the fabric folder %q of commit %s holds more than %d files (HEDGEHOG_FGD_MAX_CHECKOUT_FILES); nothing was checked out",
				c.fabricPath, short(commit), c.limits.files)
		}
		if bytes > c.limits.bytes {
			return fgderr.New(fgderr.LimitExceeded, "the fabric folder %q of commit %s holds more than %d bytes (HEDGEHOG_FGD_MAX_CHECKOUT_BYTES; %d files counted so far); nothing was checked out",
				c.fabricPath, short(commit), c.limits.bytes, files)
		}
	}
}

// checkoutFabric points the branch at commit and checks out the fabric
// folder only, after checking its path and its size from the objects.
// go-git's hard reset also removes what is neither tracked nor wanted, so a
// failed sync's leftovers (ignored or not) are gone.
func (c *Checkout) checkoutFabric(commit plumbing.Hash) error {
	tree, err := c.fabricTree(commit)
	if err != nil {
		return err
	}
	if err := c.checkBudget(tree, commit); err != nil {
		return err
	}
	local := plumbing.NewBranchReferenceName(c.branch)
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(local, commit)); err != nil {
		return fmt.Errorf("set branch: %w", err)
	}
	if err := c.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, local)); err != nil {
		return fmt.Errorf("set HEAD: %w", err)
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return fmt.Errorf("work tree: %w", err)
	}
	var sparse []string
	if c.fabricPath != "." {
		// go-git matches sparse folders as name prefixes: the slash keeps
		// "dc1" from also checking out "dc10".
		sparse = []string{c.fabricPath + "/"}
	}
	if err := wt.ResetSparsely(&git.ResetOptions{Commit: commit, Mode: git.HardReset}, sparse); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	c.head = commit
	return nil
}

// blobSizes remembers object sizes across syncs (a hash's size never
// changes), so that the budget of a checkout that changed little costs
// little. It forgets everything when it grows past maxRemembered.
type blobSizes struct {
	mu    sync.Mutex
	sizes map[plumbing.Hash]int64
}

const maxRemembered = 1 << 20

func (b *blobSizes) get(h plumbing.Hash, lookup func(plumbing.Hash) (int64, error)) (int64, error) {
	b.mu.Lock()
	size, ok := b.sizes[h]
	b.mu.Unlock()
	if ok {
		return size, nil
	}
	size, err := lookup(h)
	if err != nil {
		return 0, err
	}
	b.mu.Lock()
	if b.sizes == nil || len(b.sizes) >= maxRemembered {
		b.sizes = map[plumbing.Hash]int64{}
	}
	b.sizes[h] = size
	b.mu.Unlock()
	return size, nil
}

func short(h plumbing.Hash) string { return h.String()[:12] }
