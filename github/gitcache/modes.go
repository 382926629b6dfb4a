package gitcache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
)

// The cache holds the token-protected content of every fabric repository:
// only the worker's user may read it, whatever the umask.
const (
	cacheDirMode  fs.FileMode = 0o700
	cacheFileMode fs.FileMode = 0o600
)

// privateFS is a billy filesystem whose every created folder is 0700 and
// every created file 0600 (a chmod after creation, so the umask cannot
// widen or narrow them). go-git's later chmods keep only the owner's bits:
// pack files it makes read-only become 0400.
type privateFS struct {
	billy.Filesystem
}

// newPrivateFS is dir as a bounded billy filesystem (nothing resolves
// outside dir) with private modes.
func newPrivateFS(dir string) billy.Filesystem {
	return privateFS{osfs.New(dir, osfs.WithBoundOS())}
}

func (p privateFS) chmod(name string, mode fs.FileMode) error {
	if ch, ok := p.Filesystem.(billy.Chmod); ok {
		return ch.Chmod(name, mode)
	}
	return errors.New("the cache filesystem cannot set modes")
}

// mkdirs creates dir and its missing parents, each 0700.
func (p privateFS) mkdirs(dir string) error {
	dir = filepath.Clean(dir)
	if dir == "." || dir == string(filepath.Separator) || dir == "" {
		return nil
	}
	if fi, err := p.Filesystem.Lstat(dir); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
	}
	if err := p.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := p.Filesystem.MkdirAll(dir, cacheDirMode); err != nil {
		return err
	}
	return p.chmod(dir, cacheDirMode)
}

// MkdirAll creates path and its parents with mode 0700.
func (p privateFS) MkdirAll(path string, _ os.FileMode) error { return p.mkdirs(path) }

// Create creates a 0600 file.
func (p privateFS) Create(name string) (billy.File, error) {
	return p.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, cacheFileMode)
}

// OpenFile creates missing folders 0700 and a new file 0600 (0700 for a
// file git tracks as executable, so that its status stays clean).
func (p privateFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag&os.O_CREATE == 0 {
		return p.Filesystem.OpenFile(name, flag, perm)
	}
	if err := p.mkdirs(filepath.Dir(name)); err != nil {
		return nil, err
	}
	mode := perm&0o100 | cacheFileMode // git's executable bit, for the owner only
	f, err := p.Filesystem.OpenFile(name, flag, mode)
	if err != nil {
		return nil, err
	}
	if err := p.chmod(name, mode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// TempFile creates a 0600 temporary file in dir (made 0700 when missing).
func (p privateFS) TempFile(dir, prefix string) (billy.File, error) {
	if dir != "" {
		if err := p.mkdirs(dir); err != nil {
			return nil, err
		}
	}
	f, err := p.Filesystem.TempFile(dir, prefix)
	if err != nil {
		return nil, err
	}
	if err := p.chmod(f.Name(), cacheFileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Rename creates the target's missing folders 0700.
func (p privateFS) Rename(from, to string) error {
	if err := p.mkdirs(filepath.Dir(to)); err != nil {
		return err
	}
	return p.Filesystem.Rename(from, to)
}

// Symlink creates the link's missing folders 0700.
func (p privateFS) Symlink(target, link string) error {
	if err := p.mkdirs(filepath.Dir(link)); err != nil {
		return err
	}
	return p.Filesystem.Symlink(target, link)
}

// Chmod keeps only the owner's bits of mode.
func (p privateFS) Chmod(name string, mode os.FileMode) error {
	return p.chmod(name, mode&0o700)
}

// Chroot keeps the modes below the new root.
func (p privateFS) Chroot(path string) (billy.Filesystem, error) {
	if err := p.mkdirs(path); err != nil {
		return nil, err
	}
	sub, err := p.Filesystem.Chroot(path)
	if err != nil {
		return nil, err
	}
	return privateFS{sub}, nil
}

// mkdirPrivate creates dir and its missing parents 0700.
func mkdirPrivate(dir string) error {
	if fi, err := os.Lstat(dir); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirPrivate(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, cacheDirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(dir, cacheDirMode)
}
