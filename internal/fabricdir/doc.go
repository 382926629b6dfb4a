// Package fabricdir writes and removes files inside one fabric folder as
// cheaply as the filesystem allows, and safely against hostile repository
// content.
//
// Every folder is opened once and kept open; files are created relative to
// their folder's handle, so a path is walked once per Apply, not once per
// file. No symlink is ever followed below the folder: a symlink where a
// folder is expected fails with ErrSymlink and nothing is written through
// it; a symlink where a file is to be written is replaced by the regular
// file. Paths are slash-separated and relative; "..", absolute paths, "."
// and empty components are refused with ErrInvalidPath.
//
// The implementation uses Linux's *at system calls. On other systems Open
// returns errors.ErrUnsupported.
package fabricdir

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
)

// ErrSymlink means a symlink stands where a folder is expected between the
// fabric folder and a file. Callers report it as FGD_2003.
var ErrSymlink = errors.New("a symlink is in the way (symlinks are never followed)")

// ErrNotDir means a file or something else stands where a folder is
// expected.
var ErrNotDir = errors.New("not a folder")

// ErrInvalidPath means a path is absolute, empty, or holds "..", "." or an
// empty component.
var ErrInvalidPath = errors.New("invalid path: want a relative slash-separated path without '..', '.' or empty components")

// File is one file to write, relative to the fabric folder.
type File struct {
	Path string
	Data []byte
}

// Options tune a Dir. The zero value writes 0644 files and 0755 folders
// under the umask, on DefaultWorkers goroutines.
type Options struct {
	// FileMode is the permission of written files (default 0644).
	FileMode fs.FileMode
	// DirMode is the permission of created folders (default 0755).
	DirMode fs.FileMode
	// ExactModes sets FileMode on every written file and DirMode on every
	// created folder whatever the umask (a fchmod after creation), as the
	// worker cache needs 0600/0700.
	ExactModes bool
	// Workers is how many goroutines write files (0: DefaultWorkers;
	// 1: the calling goroutine only).
	Workers int
}

// DefaultWorkers is twice the usable cores, 4 to 8: creating a file is
// kernel work that locks only its folder, so a few writers spread over the
// folders overlap it. BenchmarkApply compares 1 to 16 writers; on a loaded
// 2-core machine the spread between runs exceeded the differences.
func DefaultWorkers() int {
	return min(max(2*runtime.GOMAXPROCS(0), 4), 8)
}

func (o Options) withDefaults() Options {
	if o.FileMode == 0 {
		o.FileMode = 0o644
	}
	if o.DirMode == 0 {
		o.DirMode = 0o755
	}
	o.FileMode &= fs.ModePerm
	o.DirMode &= fs.ModePerm
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers()
	}
	return o
}

// checkPath refuses anything but a clean relative slash-separated path.
func checkPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("%q: %w", p, ErrInvalidPath)
	}
	for rest := p; ; {
		comp, tail, more := strings.Cut(rest, "/")
		if comp == "" || comp == "." || comp == ".." {
			return fmt.Errorf("%q: %w", p, ErrInvalidPath)
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// splitPath returns a checked path's folder ("" for the fabric folder) and
// base name.
func splitPath(p string) (dir, base string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}
