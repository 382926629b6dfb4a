package gitcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/fabricdir"
)

// Change is one commit's worth of file changes, relative to the fabric
// folder.
type Change struct {
	Writes  map[string][]byte
	Removes []string
}

// Commit applies change under the fabric folder and commits exactly it: the
// planned writes and removals are staged one by one, whatever .gitignore or
// .git/info/exclude say, and nothing else in the work tree is. No symlink
// is followed (internal/fabricdir writes): one where a file is to be
// written is replaced by the file, one among a file's folders fails with
// FGD_2003 before anything is written. It returns the new commit's hash,
// or "" when the change changed nothing.
func (c *Checkout) Commit(fabricPath string, change Change, message string) (string, error) {
	if fabricPath != c.fabricPath {
		return "", fmt.Errorf("fabric folder %q: the checkout holds %q only", fabricPath, c.fabricPath)
	}
	writes, removes, err := c.repoPaths(change)
	if err != nil {
		return "", err
	}
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return "", fmt.Errorf("open the work tree: %w", err)
	}
	defer root.Close()
	// Every folder is checked before the first write, so that a refused
	// change writes nothing.
	if err := preflight(root, writes, removes); err != nil {
		return "", err
	}
	if err := c.apply(writes, removes); err != nil {
		return "", err
	}
	idx, err := c.repo.Storer.Index()
	if err != nil {
		return "", fmt.Errorf("read the index: %w", err)
	}
	for _, w := range writes {
		hash, err := c.storeBlob(w.data)
		if err != nil {
			return "", fmt.Errorf("store %s: %w", w.name, err)
		}
		fi, err := root.Lstat(filepath.FromSlash(w.name))
		if err != nil {
			return "", fmt.Errorf("stage %s: %w", w.name, err)
		}
		stage(idx, w.name, hash, fi)
		c.expect[w.name] = hash
	}
	for _, name := range removes {
		if _, err := idx.Remove(name); err != nil && !errors.Is(err, index.ErrEntryNotFound) {
			return "", fmt.Errorf("unstage %s: %w", name, err)
		}
		c.expect[name] = plumbing.ZeroHash
	}
	if err := c.repo.Storer.SetIndex(idx); err != nil {
		return "", fmt.Errorf("write the index: %w", err)
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("work tree: %w", err)
	}
	hash, err := wt.Commit(message, &git.CommitOptions{Author: &object.Signature{Name: c.author.Name, Email: c.author.Email, When: time.Now()}})
	if errors.Is(err, git.ErrEmptyCommit) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	c.head = hash
	return hash.String(), nil
}

type plannedWrite struct {
	name string // relative to the repository root
	data []byte
}

// repoPaths checks the change's paths and makes them relative to the
// repository root, in a stable order.
func (c *Checkout) repoPaths(change Change) ([]plannedWrite, []string, error) {
	writes := make([]plannedWrite, 0, len(change.Writes))
	for name, data := range change.Writes {
		if err := checkChangePath(name); err != nil {
			return nil, nil, err
		}
		writes = append(writes, plannedWrite{name: path.Join(c.fabricPath, name), data: data})
	}
	sort.Slice(writes, func(i, j int) bool { return writes[i].name < writes[j].name })
	removes := make([]string, 0, len(change.Removes))
	for _, name := range change.Removes {
		if err := checkChangePath(name); err != nil {
			return nil, nil, err
		}
		removes = append(removes, path.Join(c.fabricPath, name))
	}
	sort.Strings(removes)
	return writes, removes, nil
}

// checkChangePath refuses a path that is not a clean relative path inside
// the fabric folder, or that names .git.
func checkChangePath(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
		return fgderr.New(fgderr.PathEscape, "%q is not a clean relative path inside the fabric folder", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.EqualFold(seg, ".git") {
			return fgderr.New(fgderr.PathEscape, "%q must not name .git", name)
		}
	}
	return nil
}

// preflight refuses, before anything is written, a change with a symlink
// among the folders of a file to write or remove, or a folder where a file
// is to be written.
func preflight(root *os.Root, writes []plannedWrite, removes []string) error {
	checked := map[string]bool{}
	check := func(name string, isWrite bool) error {
		dir := path.Dir(name)
		if !checked[dir] {
			err := checkNoSymlinks(root, name, false)
			if errors.Is(err, ErrSymlink) {
				return fgderr.New(fgderr.Symlink, "cannot write %s: %v: make it a real folder", name, err)
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fgderr.New(fgderr.InvalidStructure, "cannot write %s: %v", name, err)
			}
			checked[dir] = err == nil
		}
		if fi, err := root.Lstat(filepath.FromSlash(name)); err == nil && fi.IsDir() {
			verb := "remove"
			if isWrite {
				verb = "write"
			}
			return fgderr.New(fgderr.InvalidStructure, "cannot %s %s: it is a folder", verb, name)
		}
		return nil
	}
	for _, w := range writes {
		if err := check(w.name, true); err != nil {
			return err
		}
	}
	for _, name := range removes {
		if err := check(name, false); err != nil {
			return err
		}
	}
	return nil
}

// apply writes and removes the files in the work tree through
// internal/fabricdir: folder handles opened without following symlinks,
// files created 0600 and folders 0700 whatever the umask, a symlink where a
// file goes replaced by the file.
func (c *Checkout) apply(writes []plannedWrite, removes []string) error {
	d, err := fabricdir.OpenBeneath(c.dir, c.fabricPath, fabricdir.Options{FileMode: cacheFileMode, DirMode: cacheDirMode, ExactModes: true})
	if err != nil {
		return writeError("open the fabric folder", err)
	}
	defer d.Close()
	files := make([]fabricdir.File, len(writes))
	for i, w := range writes {
		files[i] = fabricdir.File{Path: c.inFabric(w.name), Data: w.data}
	}
	rel := make([]string, len(removes))
	for i, name := range removes {
		rel[i] = c.inFabric(name)
	}
	if err := d.Apply(context.Background(), files, rel); err != nil {
		return writeError("apply the change", err)
	}
	return nil
}

// inFabric is a repository path relative to the fabric folder.
func (c *Checkout) inFabric(name string) string {
	if c.fabricPath == "." {
		return name
	}
	return strings.TrimPrefix(name, c.fabricPath+"/")
}

// writeError gives a refused write its code: FGD_2003 for a symlink in the
// way, FGD_2002 for a path that would leave the folder.
func writeError(what string, err error) error {
	switch {
	case errors.Is(err, fabricdir.ErrSymlink):
		return &fgderr.Error{Code: fgderr.Symlink, Msg: what + ": make it a real folder", Err: err}
	case errors.Is(err, fabricdir.ErrInvalidPath):
		return &fgderr.Error{Code: fgderr.PathEscape, Msg: what, Err: err}
	case errors.Is(err, fabricdir.ErrNotDir):
		return &fgderr.Error{Code: fgderr.InvalidStructure, Msg: what, Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// storeBlob writes data as a blob object and returns its hash.
func (c *Checkout) storeBlob(data []byte) (plumbing.Hash, error) {
	obj := c.repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return c.repo.Storer.SetEncodedObject(obj)
}

// stage sets the index entry of name to a regular file with hash,
// replacing whatever entry (a symlink) it had.
func stage(idx *index.Index, name string, hash plumbing.Hash, fi fs.FileInfo) {
	e, err := idx.Entry(name)
	if err != nil {
		e = idx.Add(name)
	}
	e.Hash = hash
	e.Mode = filemode.Regular
	e.Size = uint32(fi.Size())
	e.ModifiedAt = fi.ModTime()
	e.CreatedAt = fi.ModTime()
	e.SkipWorktree = false
}

// verifyHead checks, before a push, that the head commit's tree holds every
// write planned since Open (same blob) and none of the removed files. A
// mismatch is FGD_3004 and nothing is pushed.
func (c *Checkout) verifyHead() error {
	if len(c.expect) == 0 {
		return nil
	}
	commit, err := c.repo.CommitObject(c.head)
	if err != nil {
		return fgderr.New(fgderr.SyncFailed, "read the commit to push: %v; nothing was pushed", err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return fgderr.New(fgderr.SyncFailed, "read the tree to push: %v; nothing was pushed", err)
	}
	names := make([]string, 0, len(c.expect))
	for name := range c.expect {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := c.expect[name]
		entry, err := tree.FindEntry(name)
		switch {
		case want.IsZero() && err == nil:
			return fgderr.New(fgderr.SyncFailed, "commit %s still holds %s, which the sync removed; nothing was pushed", short(c.head), name)
		case want.IsZero():
			continue
		case err != nil:
			return fgderr.New(fgderr.SyncFailed, "commit %s does not hold %s, which the sync wrote; nothing was pushed", short(c.head), name)
		case entry.Hash != want || entry.Mode != filemode.Regular:
			return fgderr.New(fgderr.SyncFailed, "commit %s holds %s other than the sync wrote it; nothing was pushed", short(c.head), name)
		}
	}
	return nil
}
