package gitcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// ErrSymlink is a symlink met on the way to a file: fgd-sync never follows
// one. It is wrapped in an FGD_2003 error where a sync must fail.
var ErrSymlink = errors.New("a symlink is in the way; fgd-sync never follows symlinks")

// FabricFS is a read-only view of the checked-out fabric folder that
// follows no symlink: opening or reading through one (a symlinked folder or
// file anywhere below the fabric folder) fails with ErrSymlink, while
// Lstat, ReadDir and ReadLink show symlinks as they are. A folder that does
// not exist yet is empty. fabricPath must be the path the checkout was
// opened with.
func (c *Checkout) FabricFS(fabricPath string) (fs.FS, func(), error) {
	if fabricPath != c.fabricPath {
		return nil, nil, fmt.Errorf("fabric folder %q: the checkout holds %q only", fabricPath, c.fabricPath)
	}
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open the work tree: %w", err)
	}
	defer root.Close()
	switch err := checkNoSymlinks(root, c.fabricPath, true); {
	case errors.Is(err, fs.ErrNotExist):
		return fstest.MapFS{}, func() {}, nil
	case errors.Is(err, ErrSymlink):
		return nil, nil, fgderr.New(fgderr.Symlink, "the fabric path %q: %v", c.fabricPath, err)
	case err != nil:
		return nil, nil, fmt.Errorf("open fabric folder: %w", err)
	}
	sub, err := root.OpenRoot(filepath.FromSlash(c.fabricPath))
	if err != nil {
		return nil, nil, fmt.Errorf("open fabric folder: %w", err)
	}
	return noFollowFS{sub.FS()}, func() { sub.Close() }, nil
}

// checkNoSymlinks lstats the folders of name below root, and name itself
// with leaf (then a folder too): a symlink among them is ErrSymlink, a
// missing one fs.ErrNotExist, one that is not a folder fs.ErrInvalid.
func checkNoSymlinks(root *os.Root, name string, leaf bool) error {
	if name == "." || name == "" {
		return nil
	}
	parts := strings.Split(name, "/")
	if !leaf {
		parts = parts[:len(parts)-1]
	}
	walked := ""
	for _, seg := range parts {
		walked = path.Join(walked, seg)
		fi, err := root.Lstat(filepath.FromSlash(walked))
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: %w", walked, ErrSymlink)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a folder: %w", walked, fs.ErrInvalid)
		}
	}
	return nil
}

// noFollowFS is an os.Root's FS that refuses every path through a symlink.
// The root already keeps every access inside the fabric folder; this keeps
// it off links inside it too.
type noFollowFS struct {
	inner fs.FS
}

// check refuses a name with a symlink among its folders, or, with leaf,
// at the name itself.
func (n noFollowFS) check(op, name string, leaf bool) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil
	}
	parts := strings.Split(name, "/")
	if !leaf {
		parts = parts[:len(parts)-1]
	}
	walked := ""
	for _, seg := range parts {
		walked = path.Join(walked, seg)
		fi, err := fs.Lstat(n.inner, walked)
		if err != nil {
			return &fs.PathError{Op: op, Path: name, Err: unwrapPathError(err)}
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%s: %w", walked, ErrSymlink)}
		}
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Open opens a file or folder that is no symlink, through no symlink.
func (n noFollowFS) Open(name string) (fs.File, error) {
	if err := n.check("open", name, true); err != nil {
		return nil, err
	}
	return n.inner.Open(name)
}

// ReadFile reads a file that is no symlink, through no symlink.
func (n noFollowFS) ReadFile(name string) ([]byte, error) {
	if err := n.check("read", name, true); err != nil {
		return nil, err
	}
	return fs.ReadFile(n.inner, name)
}

// ReadDir lists a folder that is no symlink, through no symlink.
func (n noFollowFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := n.check("readdir", name, true); err != nil {
		return nil, err
	}
	return fs.ReadDir(n.inner, name)
}

// Stat describes a file that is no symlink, through no symlink.
func (n noFollowFS) Stat(name string) (fs.FileInfo, error) {
	if err := n.check("stat", name, true); err != nil {
		return nil, err
	}
	return fs.Stat(n.inner, name)
}

// Lstat describes name itself, which may be a symlink, through no symlink.
func (n noFollowFS) Lstat(name string) (fs.FileInfo, error) {
	if err := n.check("lstat", name, false); err != nil {
		return nil, err
	}
	return fs.Lstat(n.inner, name)
}

// ReadLink reads a symlink's target, through no symlink.
func (n noFollowFS) ReadLink(name string) (string, error) {
	if err := n.check("readlink", name, false); err != nil {
		return "", err
	}
	return fs.ReadLink(n.inner, name)
}
