//go:build linux

package fabricdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// tree writes files (content "" makes a folder; "->target" a symlink) below
// base.
func tree(t *testing.T, base string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(base, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case content == "":
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), full)
		default:
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// listing maps every entry below base to its content, "/" for a folder or
// "->target" for a symlink.
func listing(t *testing.T, base string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "->" + target
		case d.IsDir():
			out[rel] = "/"
		case !d.Type().IsRegular():
			out[rel] = "special"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertListing(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %q", k, v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s:\n%s", what, strings.Join(diffs, "\n"))
	}
}

func writesOf(m map[string]string) []File {
	out := make([]File, 0, len(m))
	for p, c := range m {
		out = append(out, File{Path: p, Data: []byte(c)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name       string
		before     map[string]string
		writes     map[string]string
		removes    []string
		wantMkdirs int
		want       map[string]string
	}{
		{
			name:       "fresh folder: each folder created once",
			writes:     map[string]string{"top.yaml": "t", "a/b/c/1.yaml": "1", "a/b/c/2.yaml": "2", "a/b/d/3.yaml": "3", "a/4.yaml": "4"},
			wantMkdirs: 4,
			want: map[string]string{"top.yaml": "t", "a": "/", "a/b": "/", "a/b/c": "/", "a/b/d": "/",
				"a/b/c/1.yaml": "1", "a/b/c/2.yaml": "2", "a/b/d/3.yaml": "3", "a/4.yaml": "4"},
		},
		{
			name:       "existing folders and files: overwritten, nothing created",
			before:     map[string]string{"managed/vpcs/v.yaml": "old longer content", "raw/in.yaml": "raw"},
			writes:     map[string]string{"managed/vpcs/v.yaml": "new"},
			removes:    []string{"raw/in.yaml"},
			wantMkdirs: 0,
			want:       map[string]string{"managed": "/", "managed/vpcs": "/", "managed/vpcs/v.yaml": "new", "raw": "/"},
		},
		{
			name:    "removals that are gone already are fine",
			before:  map[string]string{"raw/a.yaml": "a"},
			removes: []string{"raw/a.yaml", "raw/missing.yaml", "nofolder/x/y.yaml"},
			want:    map[string]string{"raw": "/"},
		},
		{
			name:       "an empty file",
			writes:     map[string]string{"raw/.gitkeep": ""},
			wantMkdirs: 1,
			want:       map[string]string{"raw": "/", "raw/.gitkeep": ""},
		},
	}
	for _, tc := range tests {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				base := t.TempDir()
				tree(t, base, tc.before)
				d, err := Open(base, Options{Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				if err := d.Apply(context.Background(), writesOf(tc.writes), tc.removes); err != nil {
					t.Fatal(err)
				}
				if d.mkdirs != tc.wantMkdirs {
					t.Errorf("%d folders created, want %d", d.mkdirs, tc.wantMkdirs)
				}
				assertListing(t, "after Apply", listing(t, base), tc.want)
			})
		}
	}
}

func TestApplyRefusesBadPaths(t *testing.T) {
	for _, p := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/", "./a", "a/./b", "a/..", "..", "a\x00b"} {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			base := t.TempDir()
			d, err := Open(base, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for _, call := range []struct {
				name string
				do   func() error
			}{
				{"write", func() error {
					return d.Apply(context.Background(), []File{{Path: "ok.yaml"}, {Path: p, Data: []byte("x")}}, nil)
				}},
				{"remove", func() error { return d.Apply(context.Background(), nil, []string{p}) }},
			} {
				if err := call.do(); !errors.Is(err, ErrInvalidPath) {
					t.Fatalf("%s: %v, want ErrInvalidPath", call.name, err)
				}
			}
			if got := listing(t, base); len(got) != 0 {
				t.Fatalf("something was written: %v", got)
			}
		})
	}
}

func TestApplyRefusesTwoWritesToOnePath(t *testing.T) {
	d, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Apply(context.Background(), []File{{Path: "a/x", Data: []byte("1")}, {Path: "a/x", Data: []byte("2")}}, nil)
	if err == nil || !strings.Contains(err.Error(), "a/x") {
		t.Fatalf("got %v, want an error naming a/x", err)
	}
}

// TestSymlinks plants real symlinks that point out of the fabric folder, in
// a folder component and at the leaf: nothing outside changes, ever.
func TestSymlinks(t *testing.T) {
	const secret = "outside, must not change"
	tests := []struct {
		name    string
		inside  map[string]string // below fabric/
		writes  map[string]string
		removes []string
		wantErr error // nil: Apply succeeds
		want    map[string]string
	}{
		{
			name:   "leaf symlink to an outside file is replaced",
			inside: map[string]string{"managed/x.yaml": "->../../outside/file"},
			writes: map[string]string{"managed/x.yaml": "mine"},
			want:   map[string]string{"managed": "/", "managed/x.yaml": "mine"},
		},
		{
			name:   "leaf symlink with an absolute target is replaced",
			inside: map[string]string{"managed/x.yaml": "->OUTSIDE/file"},
			writes: map[string]string{"managed/x.yaml": "mine"},
			want:   map[string]string{"managed": "/", "managed/x.yaml": "mine"},
		},
		{
			name:   "dangling leaf symlink is replaced, its target not created",
			inside: map[string]string{"managed/x.yaml": "->../../outside/new"},
			writes: map[string]string{"managed/x.yaml": "mine"},
			want:   map[string]string{"managed": "/", "managed/x.yaml": "mine"},
		},
		{
			name:    "folder symlink to outside: refused, nothing written",
			inside:  map[string]string{"managed": "->../outside", "raw/a.yaml": "a"},
			writes:  map[string]string{"raw/b.yaml": "b", "managed/file": "mine"},
			removes: []string{"raw/a.yaml"},
			wantErr: ErrSymlink,
			want:    map[string]string{"managed": "->../outside", "raw": "/", "raw/a.yaml": "a"},
		},
		{
			name:    "nested folder symlink with an absolute target: refused",
			inside:  map[string]string{"managed/vpcs": "->OUTSIDE"},
			writes:  map[string]string{"managed/vpcs/sub/file": "mine"},
			wantErr: ErrSymlink,
			want:    map[string]string{"managed": "/", "managed/vpcs": "->OUTSIDE"},
		},
		{
			name:    "dangling folder symlink: refused, its target not created",
			inside:  map[string]string{"managed": "->../outside/new"},
			writes:  map[string]string{"managed/x.yaml": "mine"},
			wantErr: ErrSymlink,
			want:    map[string]string{"managed": "->../outside/new"},
		},
		{
			name:    "removal through a folder symlink: refused",
			inside:  map[string]string{"raw": "->../outside"},
			removes: []string{"raw/file"},
			wantErr: ErrSymlink,
			want:    map[string]string{"raw": "->../outside"},
		},
		{
			name:    "removal of a leaf symlink removes the link only",
			inside:  map[string]string{"raw/link": "->../../outside/file"},
			removes: []string{"raw/link"},
			want:    map[string]string{"raw": "/"},
		},
		{
			name:    "a file where a folder is expected",
			inside:  map[string]string{"managed": "a file"},
			writes:  map[string]string{"managed/x.yaml": "mine"},
			wantErr: ErrNotDir,
			want:    map[string]string{"managed": "a file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			outside := filepath.Join(top, "outside")
			fabric := filepath.Join(top, "fabric")
			tree(t, outside, map[string]string{"file": secret, "x.yaml": secret, "emptydir": ""})
			inside := map[string]string{}
			for k, v := range tc.inside {
				inside[k] = strings.ReplaceAll(v, "OUTSIDE", outside)
			}
			tree(t, fabric, inside)
			want := map[string]string{}
			for k, v := range tc.want {
				want[k] = strings.ReplaceAll(v, "OUTSIDE", outside)
			}
			outsideBefore := listing(t, outside)

			d, err := Open(fabric, Options{Workers: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = d.Apply(context.Background(), writesOf(tc.writes), tc.removes)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Apply: %v", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Apply: %v, want %v", err, tc.wantErr)
			}
			assertListing(t, "outside", listing(t, outside), outsideBefore)
			assertListing(t, "fabric", listing(t, fabric), want)
		})
	}
}

func TestPruneEmpty(t *testing.T) {
	top := t.TempDir()
	fabric := filepath.Join(top, "fabric")
	tree(t, top, map[string]string{"outside/emptydir": ""})
	tree(t, fabric, map[string]string{
		"raw/a/b/c": "", "raw/d": "", "raw/e/keep.yaml": "k", "raw/link": "->../../outside",
		"managed/vpcs/v.yaml": "v", "managed/gone/x": "",
	})
	d, err := Open(fabric, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Cache handles of folders about to be pruned: they must not be reused.
	if err := d.Apply(context.Background(), []File{{Path: "managed/gone/x/f", Data: []byte("f")}}, []string{"managed/gone/x/f"}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"raw", "managed", "missing"} {
		if err := d.PruneEmpty(sub); err != nil {
			t.Fatalf("prune %s: %v", sub, err)
		}
	}
	assertListing(t, "fabric", listing(t, fabric), map[string]string{
		"raw": "/", "raw/e": "/", "raw/e/keep.yaml": "k", "raw/link": "->../../outside",
		"managed": "/", "managed/vpcs": "/", "managed/vpcs/v.yaml": "v",
	})
	assertListing(t, "outside", listing(t, filepath.Join(top, "outside")), map[string]string{"emptydir": "/"})
	// A pruned folder is made again, not written through a stale handle.
	if err := d.Apply(context.Background(), []File{{Path: "managed/gone/x/f", Data: []byte("again")}}, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(fabric, "managed/gone/x/f")); err != nil || string(b) != "again" {
		t.Fatalf("after prune: %q %v", b, err)
	}
	if err := os.Symlink("../outside", filepath.Join(fabric, "slink")); err != nil {
		t.Fatal(err)
	}
	if err := d.PruneEmpty("slink"); !errors.Is(err, ErrSymlink) {
		t.Fatalf("prune through a symlink: %v, want ErrSymlink", err)
	}
}

func TestOpenBeneath(t *testing.T) {
	tests := []struct {
		name    string
		before  map[string]string
		sub     string
		wantErr error
	}{
		{name: "missing folders are created", sub: "fabrics/dc1"},
		{name: "existing folder", before: map[string]string{"dc1/raw": ""}, sub: "dc1"},
		{name: "the root itself", sub: "."},
		{name: "symlinked component", before: map[string]string{"real": "", "fabrics": "->real"}, sub: "fabrics/dc1", wantErr: ErrSymlink},
		{name: "symlinked leaf", before: map[string]string{"outside": "", "dc1": "->outside"}, sub: "dc1", wantErr: ErrSymlink},
		{name: "escape", sub: "../dc1", wantErr: ErrInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tree(t, root, tc.before)
			before := listing(t, root)
			d, err := OpenBeneath(root, tc.sub, Options{})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				assertListing(t, "root", listing(t, root), before)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Apply(context.Background(), []File{{Path: "managed/x.yaml", Data: []byte("x")}}, nil); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(root, tc.sub, "managed/x.yaml")); err != nil || string(b) != "x" {
				t.Fatalf("%q %v", b, err)
			}
		})
	}
}

// TestModes changes the process umask, so it must not run in parallel with
// anything that creates files; nothing in this package uses t.Parallel.
func TestModes(t *testing.T) {
	tests := []struct {
		umask          int
		opts           Options
		wantFile       fs.FileMode
		wantDir        fs.FileMode
		wantRewritten  fs.FileMode // an existing 0644 file written again
		wantExistDir   fs.FileMode // an existing 0755 folder
		wantCreatedDir fs.FileMode
	}{
		{umask: 0, opts: Options{}, wantFile: 0o644, wantDir: 0o755, wantRewritten: 0o644},
		{umask: 0o077, opts: Options{}, wantFile: 0o600, wantDir: 0o700, wantRewritten: 0o644},
		{umask: 0, opts: Options{FileMode: 0o600, DirMode: 0o700}, wantFile: 0o600, wantDir: 0o700, wantRewritten: 0o644},
		{umask: 0, opts: Options{FileMode: 0o600, DirMode: 0o700, ExactModes: true}, wantFile: 0o600, wantDir: 0o700, wantRewritten: 0o600},
		{umask: 0o077, opts: Options{FileMode: 0o600, DirMode: 0o700, ExactModes: true}, wantFile: 0o600, wantDir: 0o700, wantRewritten: 0o600},
		{umask: 0o022, opts: Options{FileMode: 0o666, DirMode: 0o777, ExactModes: true}, wantFile: 0o666, wantDir: 0o777, wantRewritten: 0o666},
		{umask: 0o022, opts: Options{FileMode: 0o666, DirMode: 0o777}, wantFile: 0o644, wantDir: 0o755, wantRewritten: 0o644},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("umask=%03o/%+v", tc.umask, tc.opts), func(t *testing.T) {
			base := t.TempDir()
			tree(t, base, map[string]string{"old/f": "old"})
			if err := os.Chmod(filepath.Join(base, "old/f"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(base, "old"), 0o755); err != nil {
				t.Fatal(err)
			}
			old := syscall.Umask(tc.umask)
			defer syscall.Umask(old)
			d, err := Open(base, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = d.Apply(context.Background(), []File{{Path: "new/sub/f", Data: []byte("n")}, {Path: "old/f", Data: []byte("o")}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				path string
				want fs.FileMode
			}{
				{"new", tc.wantDir}, {"new/sub", tc.wantDir}, {"new/sub/f", tc.wantFile},
				{"old", 0o755}, {"old/f", tc.wantRewritten},
			} {
				info, err := os.Lstat(filepath.Join(base, c.path))
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != c.want {
					t.Errorf("%s: mode %03o, want %03o", c.path, got, c.want)
				}
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("managed/k%d/f%03d.yaml", i%7, i)] = "x"
		}
		return m
	}
	tests := []struct {
		name     string
		workers  int
		before   map[string]string
		writes   map[string]string
		canceled bool
		wantErr  string // a path the error names
		wantIs   error
		// maxWritten bounds the new files: with one worker, nothing after
		// the failure is written.
		maxWritten int
	}{
		{name: "leaf is a folder, several workers", workers: 4, before: map[string]string{"managed/k3/f003.yaml/": ""},
			writes: many(300), wantErr: "managed/k3/f003.yaml", wantIs: syscall.EISDIR, maxWritten: 299},
		{name: "leaf is a folder, one worker stops at once", workers: 1, before: map[string]string{"managed/k0/f000.yaml/": ""},
			writes: many(300), wantErr: "managed/k0/f000.yaml", wantIs: syscall.EISDIR, maxWritten: 0},
		{name: "two failures: one error", workers: 4, before: map[string]string{"managed/k1/f001.yaml/": "", "managed/k2/f002.yaml/": ""},
			writes: many(300), wantErr: "managed/k", wantIs: syscall.EISDIR, maxWritten: 298},
		{name: "a FIFO fails instead of blocking", workers: 2, before: map[string]string{"managed/k5/f005.yaml": "FIFO"},
			writes: many(50), wantErr: "managed/k5/f005.yaml", wantIs: syscall.ENXIO, maxWritten: 49},
		{name: "canceled context writes nothing", workers: 4, writes: many(100), canceled: true, wantIs: context.Canceled, maxWritten: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			for p, c := range tc.before {
				full := filepath.Join(base, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if c == "FIFO" {
					if err := syscall.Mkfifo(full, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if err := os.MkdirAll(full, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			tree(t, base, map[string]string{"raw/in.yaml": "raw"})
			d, err := Open(base, Options{Workers: tc.workers})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.canceled {
				cancel()
			}
			err = d.Apply(ctx, writesOf(tc.writes), []string{"raw/in.yaml"})
			if !errors.Is(err, tc.wantIs) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want %v naming %s", err, tc.wantIs, tc.wantErr)
			}
			if strings.Count(err.Error(), "write ") != 1 && !tc.canceled {
				t.Fatalf("want one error, got %v", err)
			}
			got := listing(t, base)
			if got["raw/in.yaml"] != "raw" {
				t.Fatal("a removal ran after a failed write")
			}
			written := 0
			for p, c := range got {
				if strings.HasSuffix(p, ".yaml") && c == "x" {
					written++
				}
			}
			if written > tc.maxWritten {
				t.Fatalf("%d files written, want at most %d", written, tc.maxWritten)
			}
		})
	}
}

func TestSpreadByFolder(t *testing.T) {
	tests := []struct {
		parents []int
		want    []int
	}{
		{parents: nil, want: []int{}},
		{parents: []int{5, 5, 5}, want: []int{0, 1, 2}},
		{parents: []int{5, 5, 5, 6, 6, 7}, want: []int{0, 3, 5, 1, 4, 2}},
		{parents: []int{7, 5, 7, 5}, want: []int{0, 1, 2, 3}},
	}
	for _, tc := range tests {
		if got := spreadByFolder(tc.parents); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("spreadByFolder(%v) = %v, want %v", tc.parents, got, tc.want)
		}
	}
}
