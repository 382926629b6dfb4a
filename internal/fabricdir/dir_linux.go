//go:build linux

package fabricdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// Dir is an open fabric folder. Its methods may be called from several
// goroutines; they run one at a time.
type Dir struct {
	mu   sync.Mutex
	opts Options
	// fds holds an open handle per folder, by path relative to the fabric
	// folder ("" is the fabric folder itself).
	fds map[string]int
	// mkdirs counts folders created, for tests.
	mkdirs int
}

const (
	dirFlags  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fileFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW | unix.O_CLOEXEC |
		// A FIFO left in a local folder fails (ENXIO) instead of blocking.
		unix.O_NONBLOCK
)

// Open opens the fabric folder dir, which must exist. dir itself is trusted:
// the operating system resolves it as usual; nothing below it is followed.
func Open(dir string, opts Options) (*Dir, error) {
	fd, err := retryEINTR(func() (int, error) { return unix.Open(dir, dirFlags&^unix.O_NOFOLLOW, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return &Dir{opts: opts.withDefaults(), fds: map[string]int{"": fd}}, nil
}

// OpenBeneath opens the folder sub of the trusted folder root, creating what
// is missing of it with DirMode. No symlink is followed on the way: a
// symlink among sub's components fails with ErrSymlink. sub "" or "." is
// root itself.
func OpenBeneath(root, sub string, opts Options) (*Dir, error) {
	top, err := Open(root, opts)
	if err != nil {
		return nil, err
	}
	if sub == "" || sub == "." {
		return top, nil
	}
	defer top.Close()
	if err := checkPath(sub); err != nil {
		return nil, err
	}
	fd, err := top.dir(sub, true)
	if err != nil {
		return nil, err
	}
	// The new Dir owns a handle of its own; top closes its cache.
	own, err := unix.Dup(fd)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", sub, err)
	}
	unix.CloseOnExec(own)
	return &Dir{opts: top.opts, fds: map[string]int{"": own}}, nil
}

// Close closes every folder handle.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var first error
	for p, fd := range d.fds {
		if err := unix.Close(fd); err != nil && first == nil {
			first = err
		}
		delete(d.fds, p)
	}
	return first
}

// Apply writes every file, then removes every removal: an interruption
// leaves a document in two places, never in none. Folders are created as
// needed, each once. Files are written on up to Options.Workers goroutines;
// the first error stops the rest and is returned. A removal that is already
// gone is fine. Two writes to one path are refused.
func (d *Dir) Apply(ctx context.Context, writes []File, removes []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Check every path and open every folder first, on this goroutine: the
	// writers then only read the handle cache, and a symlinked folder fails
	// the whole Apply before any file is written.
	parents := make([]int, len(writes))
	seen := make(map[string]struct{}, len(writes))
	for i, w := range writes {
		if err := checkPath(w.Path); err != nil {
			return fmt.Errorf("write %w", err)
		}
		if _, dup := seen[w.Path]; dup {
			return fmt.Errorf("write %s: the path is written twice", w.Path)
		}
		seen[w.Path] = struct{}{}
		dir, _ := splitPath(w.Path)
		fd, err := d.dir(dir, true)
		if err != nil {
			return fmt.Errorf("write %s: %w", w.Path, err)
		}
		parents[i] = fd
	}
	var order []int // nil: as given
	if d.opts.Workers > 1 {
		order = spreadByFolder(parents)
	}
	err := d.parallel(ctx, len(writes), func(k int) error {
		i := k
		if order != nil {
			i = order[k]
		}
		_, base := splitPath(writes[i].Path)
		if err := d.writeFile(parents[i], base, writes[i].Data); err != nil {
			return fmt.Errorf("write %s: %w", writes[i].Path, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return d.remove(ctx, removes)
}

func (d *Dir) remove(ctx context.Context, removes []string) error {
	parents := make([]int, len(removes))
	for i, p := range removes {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("remove %w", err)
		}
		dir, _ := splitPath(p)
		fd, err := d.dir(dir, false)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			parents[i] = -1 // its folder is gone, so is the file
		case err != nil:
			return fmt.Errorf("remove %s: %w", p, err)
		default:
			parents[i] = fd
		}
	}
	return d.parallel(ctx, len(removes), func(i int) error {
		if parents[i] < 0 {
			return nil
		}
		_, base := splitPath(removes[i])
		err := unlinkat(parents[i], base, 0)
		if err != nil && err != unix.ENOENT {
			return fmt.Errorf("remove %s: %w", removes[i], err)
		}
		return nil
	})
}

// spreadByFolder orders the writes so that neighbours are in different
// folders: creating a file locks its folder, so writers that take
// consecutive writes then rarely wait for each other.
func spreadByFolder(parents []int) []int {
	groups := map[int][]int{}
	var folders []int
	for i, fd := range parents {
		if _, ok := groups[fd]; !ok {
			folders = append(folders, fd)
		}
		groups[fd] = append(groups[fd], i)
	}
	order := make([]int, 0, len(parents))
	for round := 0; len(folders) > 0; round++ {
		left := folders[:0]
		for _, fd := range folders {
			g := groups[fd]
			order = append(order, g[round])
			if round+1 < len(g) {
				left = append(left, fd)
			}
		}
		folders = left
	}
	return order
}

// parallel runs do(0..n-1) on up to Options.Workers goroutines; the first
// error (or ctx's end) stops the others from starting more.
func (d *Dir) parallel(ctx context.Context, n int, do func(i int) error) error {
	workers := min(d.opts.Workers, n)
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := do(i); err != nil {
				return err
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range workers {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := do(i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// dir returns the handle of the folder rel, opening (and with create,
// creating) it and its parents once. A missing folder without create is
// fs.ErrNotExist.
func (d *Dir) dir(rel string, create bool) (int, error) {
	if fd, ok := d.fds[rel]; ok {
		return fd, nil
	}
	parentRel, base := splitPath(rel)
	parent, err := d.dir(parentRel, create)
	if err != nil {
		return -1, err
	}
	fd, err := openDir(parent, base)
	if err == unix.ENOENT && create {
		mkErr := mkdirat(parent, base, uint32(d.opts.DirMode))
		if mkErr != nil && mkErr != unix.EEXIST { // EEXIST: a dangling symlink, or made meanwhile
			return -1, &fs.PathError{Op: "mkdir", Path: rel, Err: mkErr}
		}
		if mkErr == nil {
			d.mkdirs++
		}
		fd, err = openDir(parent, base)
		if err == nil && mkErr == nil && d.opts.ExactModes {
			if err := fchmod(fd, uint32(d.opts.DirMode)); err != nil {
				unix.Close(fd)
				return -1, &fs.PathError{Op: "chmod", Path: rel, Err: err}
			}
		}
	}
	switch err {
	case nil:
		d.fds[rel] = fd
		return fd, nil
	case unix.ELOOP, unix.ENOTDIR:
		// O_NOFOLLOW|O_DIRECTORY: tell a symlink from a file.
		var st unix.Stat_t
		if serr := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return -1, &fs.PathError{Op: "open", Path: rel, Err: ErrSymlink}
		}
		return -1, &fs.PathError{Op: "open", Path: rel, Err: ErrNotDir}
	case unix.ENOENT:
		return -1, &fs.PathError{Op: "open", Path: rel, Err: fs.ErrNotExist}
	default:
		return -1, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
}

// writeFile writes data to base in the folder parent. A symlink at base is
// replaced by the regular file, never written through.
func (d *Dir) writeFile(parent int, base string, data []byte) error {
	mode := uint32(d.opts.FileMode)
	fd, err := openat(parent, base, fileFlags, mode)
	if err == unix.ELOOP {
		if err := unlinkat(parent, base, 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("replace symlink: %w", err)
		}
		// O_EXCL: if a symlink came back meanwhile, fail rather than follow.
		fd, err = openat(parent, base, fileFlags|unix.O_EXCL, mode)
	}
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return err
		}
		data = data[n:]
	}
	if d.opts.ExactModes {
		if err := fchmod(fd, mode); err != nil {
			unix.Close(fd)
			return err
		}
	}
	return unix.Close(fd)
}

// PruneEmpty removes the folders below sub that hold nothing, as git would
// not keep them; sub itself stays. Symlinks are never followed; a missing
// sub is nothing to do.
func (d *Dir) PruneEmpty(sub string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	rel := ""
	if sub != "" && sub != "." {
		if err := checkPath(sub); err != nil {
			return fmt.Errorf("prune %w", err)
		}
		rel = sub
	}
	fd, err := d.dir(rel, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("prune %w", err)
	}
	_, err = d.prune(fd, rel)
	return err
}

// prune empties fd's subfolders that hold nothing and reports whether fd
// itself is then empty.
func (d *Dir) prune(fd int, rel string) (empty bool, err error) {
	entries, err := readDir(fd)
	if err != nil {
		return false, &fs.PathError{Op: "readdir", Path: rel, Err: err}
	}
	left := len(entries)
	for _, e := range entries {
		if !e.dir {
			continue
		}
		childRel := joinRel(rel, e.name)
		child, err := openDir(fd, e.name)
		if err != nil {
			continue // raced away or replaced: leave it
		}
		childEmpty, err := d.prune(child, childRel)
		unix.Close(child)
		if err != nil {
			return false, err
		}
		if !childEmpty {
			continue
		}
		if err := unlinkat(fd, e.name, unix.AT_REMOVEDIR); err == nil || err == unix.ENOENT {
			left--
			d.forget(childRel)
		}
	}
	return left == 0, nil
}

// forget closes the cached handles of a removed folder and its subfolders.
func (d *Dir) forget(rel string) {
	for p, fd := range d.fds {
		if p == rel || strings.HasPrefix(p, rel+"/") {
			unix.Close(fd)
			delete(d.fds, p)
		}
	}
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

type dirEntry struct {
	name string
	dir  bool
}

// readDir lists a folder through its handle, types from getdents (lstat
// relative to the handle where the filesystem does not say).
func readDir(fd int) ([]dirEntry, error) {
	// getdents continues from the handle's offset; start at the top.
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return nil, err
	}
	var out []dirEntry
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(b[16]) | int(b[17])<<8
			if reclen == 0 || reclen > len(b) {
				return nil, errors.New("malformed directory entry")
			}
			typ := b[18]
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			s := string(name)
			if s == "." || s == ".." {
				continue
			}
			isDir := typ == unix.DT_DIR
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if err := unix.Fstatat(fd, s, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
					isDir = st.Mode&unix.S_IFMT == unix.S_IFDIR
				}
			}
			out = append(out, dirEntry{name: s, dir: isDir})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// The Go runtime installs its signal handlers with SA_RESTART, but a
// syscall can still see EINTR (e.g. on some network filesystems).
func retryEINTR(f func() (int, error)) (int, error) {
	for {
		fd, err := f()
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func openDir(parent int, name string) (int, error) {
	return retryEINTR(func() (int, error) { return unix.Openat(parent, name, dirFlags, 0) })
}

func openat(parent int, name string, flags int, mode uint32) (int, error) {
	return retryEINTR(func() (int, error) { return unix.Openat(parent, name, flags, mode) })
}

func mkdirat(parent int, name string, mode uint32) error {
	_, err := retryEINTR(func() (int, error) { return 0, unix.Mkdirat(parent, name, mode) })
	return err
}

func unlinkat(parent int, name string, flags int) error {
	_, err := retryEINTR(func() (int, error) { return 0, unix.Unlinkat(parent, name, flags) })
	return err
}

func fchmod(fd int, mode uint32) error {
	_, err := retryEINTR(func() (int, error) { return 0, unix.Fchmod(fd, mode) })
	return err
}
