package gitcache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

func newCache(t *testing.T, srv *gittest.Server) *RepoCache {
	return &RepoCache{Dir: t.TempDir(), Author: Author{Name: "fgd-sync", Email: "bot@example.com"}, Allowed: allow(srv)}
}

// TestSymlinkInFabricPath: a fabric path through a symlink committed to the
// repository fails the sync with FGD_2003, and nothing is written: not the
// victim folder it points at, not the remote.
func TestSymlinkInFabricPath(t *testing.T) {
	victim := t.TempDir()
	writeTestFile(t, filepath.Join(victim, "raw", "keep.yaml"), "precious: true\n")
	writeTestFile(t, filepath.Join(victim, "managed", "vpcs", "old.yaml"), "kind: VPC\n")
	before := snapshot(t, victim)

	tests := []struct {
		name, fabricPath string
		edit             func(t *testing.T, work string)
	}{
		{"the fabric folder is a symlink", "dc1", func(t *testing.T, work string) { symlink(t, victim, filepath.Join(work, "dc1")) }},
		{"a relative symlink out of the clone", "dc1", func(t *testing.T, work string) {
			rel, _ := filepath.Rel(filepath.Join(work), victim)
			symlink(t, rel, filepath.Join(work, "dc1"))
		}},
		{"a parent folder is a symlink", "site/dc1", func(t *testing.T, work string) { symlink(t, victim, filepath.Join(work, "site")) }},
		{"a symlink into .git", "dc1", func(t *testing.T, work string) { symlink(t, ".git", filepath.Join(work, "dc1")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := gittest.New(t, gittest.Options{})
			head := pushWith(t, srv, "symlinked fabric folder", func(work string) { tc.edit(t, work) })
			rc := newCache(t, srv)
			_, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", tc.fabricPath)
			if fgderr.CodeOf(err) != fgderr.Symlink {
				t.Fatalf("want FGD_2003, got %v", err)
			}
			if !equalSnapshots(before, snapshot(t, victim)) {
				t.Fatal("the folder the symlink points at changed")
			}
			if srv.Head("main") != head {
				t.Fatal("the remote changed")
			}
			// Nothing was checked out either: the cache holds .git only.
			entries, _ := os.ReadDir(filepath.Join(rc.Dir, "dc1"))
			for _, e := range entries {
				if e.Name() != ".git" {
					t.Fatalf("%s was checked out", e.Name())
				}
			}
		})
	}
}

// TestFabricPathUnderGit: a fabric path naming .git is refused before
// anything is contacted.
func TestFabricPathUnderGit(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	for _, p := range []string{".git", ".git/hooks", "a/.GIT/b", "../x", "/abs", "a/../b"} {
		_, err := newCache(t, srv).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", p)
		if fgderr.CodeOf(err) != fgderr.PathEscape {
			t.Errorf("fabric path %q: want FGD_2002, got %v", p, err)
		}
	}
}

// TestSymlinkWhereAFileIsWritten: a committed symlink where the sync writes
// a file is replaced by the file; .git/config, which it pointed at, is
// untouched, and the pushed tree holds a regular file.
func TestSymlinkWhereAFileIsWritten(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "target.yaml"), "outside\n")
	srv := gittest.New(t, gittest.Options{})
	pushWith(t, srv, "symlinks where fgd-sync writes", func(work string) {
		symlink(t, "../../.git/config", filepath.Join(work, "managed", "vpcs", "a.yaml"))
		symlink(t, filepath.Join(outside, "target.yaml"), filepath.Join(work, "unmanaged", "b.yaml"))
		writeTestFile(t, filepath.Join(work, "raw", "a.yaml"), "kind: VPC\n")
	})
	rc := newCache(t, srv)
	co, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", ".")
	if err != nil {
		t.Fatal(err)
	}
	gitConfig, err := os.ReadFile(filepath.Join(co.Dir(), ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	change := Change{Writes: map[string][]byte{"managed/vpcs/a.yaml": []byte("kind: VPC\nname: a\n"), "unmanaged/b.yaml": []byte("b: 1\n")}, Removes: []string{"raw/a.yaml"}}
	if _, err := co.Commit(".", change, "ingest"); err != nil {
		t.Fatal(err)
	}
	if err := co.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(co.Dir(), ".git", "config")); string(after) != string(gitConfig) {
		t.Fatal(".git/config was written through the symlink")
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "target.yaml")); string(b) != "outside\n" {
		t.Fatal("a file outside the clone was written through the symlink")
	}
	tree, objects := srv.Tree("main"), lsTree(t, srv, "main")
	for name, want := range change.Writes {
		if tree[name] != string(want) || !strings.HasPrefix(objects[name], "100644 ") {
			t.Errorf("%s pushed as %q (%s), want a regular file %q", name, tree[name], objects[name], want)
		}
	}
	if _, ok := tree["raw/a.yaml"]; ok {
		t.Error("the removal was not pushed")
	}
}

// TestSymlinkedFolderWhereAFileIsWritten: a symlinked folder on the way to
// a file fails the commit with FGD_2003 before anything is written, even
// the change's other files.
func TestSymlinkedFolderWhereAFileIsWritten(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name   string
		link   string // where the symlink is committed
		target func(work string) string
	}{
		{"into .git", "managed/vpcs", func(string) string { return "../.git" }},
		{"out of the clone", "unmanaged", func(string) string { return outside }},
		{"inside the fabric folder", "managed/vpcs", func(string) string { return "../raw" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := gittest.New(t, gittest.Options{})
			head := pushWith(t, srv, "symlinked folder", func(work string) {
				symlink(t, tc.target(work), filepath.Join(work, filepath.FromSlash(tc.link)))
				writeTestFile(t, filepath.Join(work, "raw", "a.yaml"), "kind: VPC\n")
			})
			co, err := newCache(t, srv).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", ".")
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, co.Dir())
			outsideBefore := snapshot(t, outside)
			change := Change{Writes: map[string][]byte{"aaa-first.yaml": []byte("x\n"), tc.link + "/x.yaml": []byte("kind: VPC\n")}, Removes: []string{"raw/a.yaml"}}
			_, err = co.Commit(".", change, "ingest")
			if fgderr.CodeOf(err) != fgderr.Symlink {
				t.Fatalf("want FGD_2003, got %v", err)
			}
			if !equalSnapshots(before, snapshot(t, co.Dir())) || !equalSnapshots(outsideBefore, snapshot(t, outside)) {
				t.Fatal("a refused change wrote something")
			}
			if err := co.Push(context.Background()); err != nil {
				t.Fatal(err)
			}
			if srv.Head("main") != head {
				t.Fatal("a refused change reached the remote")
			}
		})
	}
}

// TestFabricFSFollowsNoSymlink: reading the fabric folder never goes
// through a symlink, to a file or a folder, inside the folder or out.
func TestFabricFSFollowsNoSymlink(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	pushWith(t, srv, "links", func(work string) {
		writeTestFile(t, filepath.Join(work, "dc1", "raw", "a.yaml"), "a: 1\n")
		writeTestFile(t, filepath.Join(work, "dc1", "managed", "vpcs", "v.yaml"), "kind: VPC\n")
		writeTestFile(t, filepath.Join(work, "secret.yaml"), "token: no\n")
		symlink(t, "a.yaml", filepath.Join(work, "dc1", "raw", "file-link.yaml"))
		symlink(t, "../managed", filepath.Join(work, "dc1", "raw", "dir-link"))
		symlink(t, "../../secret.yaml", filepath.Join(work, "dc1", "raw", "out-link.yaml"))
	})
	co, err := newCache(t, srv).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "dc1")
	if err != nil {
		t.Fatal(err)
	}
	fsys, done, err := co.FabricFS("dc1")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if b, err := fs.ReadFile(fsys, "raw/a.yaml"); err != nil || string(b) != "a: 1\n" {
		t.Fatalf("a regular file: %q %v", b, err)
	}
	for _, name := range []string{"raw/file-link.yaml", "raw/out-link.yaml", "raw/dir-link/vpcs/v.yaml", "raw/dir-link"} {
		if _, err := fs.ReadFile(fsys, name); !errors.Is(err, ErrSymlink) {
			t.Errorf("ReadFile(%s): want ErrSymlink, got %v", name, err)
		}
		if _, err := fsys.Open(name); !errors.Is(err, ErrSymlink) {
			t.Errorf("Open(%s): want ErrSymlink, got %v", name, err)
		}
	}
	if _, err := fs.ReadDir(fsys, "raw/dir-link"); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadDir through a symlinked folder: %v", err)
	}
	if fi, err := fs.Lstat(fsys, "raw/dir-link"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat shows the link itself: %v %v", fi, err)
	}
	var walked []string
	_ = fs.WalkDir(fsys, "raw", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	})
	for _, p := range walked {
		if strings.HasPrefix(p, "raw/dir-link/") {
			t.Fatalf("a walk went into a symlinked folder: %v", walked)
		}
	}
}

// TestIgnoreRulesHaveNoEffect: .gitignore and .git/info/exclude neither
// hide the sync's writes nor keep its removals; files nobody planned (a
// stray file in the work tree) are not committed.
func TestIgnoreRulesHaveNoEffect(t *testing.T) {
	for _, fabricPath := range []string{".", "dc1"} {
		t.Run("fabric path "+fabricPath, func(t *testing.T) {
			in := func(name string) string { return path.Join(fabricPath, name) }
			srv := gittest.New(t, gittest.Options{})
			pushWith(t, srv, "ignore everything fgd-sync writes", func(work string) {
				writeTestFile(t, filepath.Join(work, ".gitignore"), "managed/\nunmanaged/\n*.yaml\n")
				writeTestFile(t, filepath.Join(work, "dc1", ".gitignore"), "*\n")
				writeTestFile(t, filepath.Join(work, in("raw/a.yaml")), "kind: VPC\n")
				gitCmd(t, work, nil, "add", "-f", in("raw/a.yaml"))
			})
			if _, ok := srv.Tree("main")[in("raw/a.yaml")]; !ok {
				t.Fatal("setup: the raw file is not committed")
			}
			rc := newCache(t, srv)
			co, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", fabricPath)
			if err != nil {
				t.Fatal(err)
			}
			writeTestFile(t, filepath.Join(co.Dir(), ".git", "info", "exclude"), "*\n")
			writeTestFile(t, filepath.Join(co.Dir(), in("stray.txt")), "not planned\n")
			change := Change{Writes: map[string][]byte{"managed/vpcs/a.yaml": []byte("kind: VPC\nname: a\n"), "unmanaged/notes.yaml": []byte("n: 1\n")}, Removes: []string{"raw/a.yaml"}}
			if sha, err := co.Commit(fabricPath, change, "ingest"); err != nil || sha == "" {
				t.Fatalf("commit: %q %v", sha, err)
			}
			if err := co.Push(context.Background()); err != nil {
				t.Fatal(err)
			}
			tree := srv.Tree("main")
			for name, want := range change.Writes {
				if tree[in(name)] != string(want) {
					t.Errorf("%s: pushed %q, want %q", in(name), tree[in(name)], want)
				}
			}
			for _, gone := range []string{in("raw/a.yaml"), in("stray.txt")} {
				if _, ok := tree[gone]; ok {
					t.Errorf("%s is in the pushed tree", gone)
				}
			}
			if tree[".gitignore"] == "" {
				t.Error("a file outside the change was lost")
			}
			// A failed sync's leftover in an ignored folder is gone at the next
			// Open: the planner never sees it.
			writeTestFile(t, filepath.Join(co.Dir(), in("managed/vpcs/leftover.yaml")), "kind: VPC\n")
			co, err = rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", fabricPath)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(filepath.Join(co.Dir(), in("managed/vpcs/leftover.yaml"))); !os.IsNotExist(err) {
				t.Fatalf("an ignored leftover survived the reset: %v", err)
			}
		})
	}
}

// TestPushChecksTheCommit: a head that does not hold every planned write
// fails the push with FGD_3004, and the remote is not touched.
func TestPushChecksTheCommit(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	co, err := newCache(t, srv).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", ".")
	if err != nil {
		t.Fatal(err)
	}
	before := co.head
	if _, err := co.Commit(".", Change{Writes: map[string][]byte{"managed/vpcs/a.yaml": []byte("kind: VPC\n")}}, "ingest"); err != nil {
		t.Fatal(err)
	}
	// The branch loses the commit (a bug, a hook, a concurrent writer): the
	// head no longer holds the write.
	if err := co.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), before)); err != nil {
		t.Fatal(err)
	}
	co.head = before
	remote := srv.Head("main")
	for _, push := range []func() error{func() error { return co.Push(context.Background()) }, func() error { return co.PushBranch(context.Background(), "fgd/sync-1") }} {
		err := push()
		if fgderr.CodeOf(err) != fgderr.SyncFailed || !strings.Contains(err.Error(), "managed/vpcs/a.yaml") {
			t.Fatalf("want FGD_3004 naming the file, got %v", err)
		}
	}
	if srv.Head("main") != remote || srv.HasBranch("fgd/sync-1") {
		t.Fatal("something was pushed")
	}
}

// TestSparseCheckout: only the fabric folder is checked out ("dc1", not
// "dc10"), and a commit keeps every file outside it.
func TestSparseCheckout(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	srv.Commit(map[string]string{"dc1/raw/a.yaml": "a: 1\n", "dc10/raw/b.yaml": "b: 1\n", "dc2/raw/c.yaml": "c: 1\n", "top.yaml": "t: 1\n"}, nil, "three fabrics")
	co, err := newCache(t, srv).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "dc1")
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, co.Dir())
	for name := range got {
		if !strings.HasPrefix(name, ".git"+string(filepath.Separator)) && !strings.HasPrefix(name, "dc1"+string(filepath.Separator)) {
			t.Errorf("%s was checked out", name)
		}
	}
	if got[filepath.Join("dc1", "raw", "a.yaml")] != "a: 1\n" {
		t.Fatal("the fabric folder was not checked out")
	}
	if _, err := co.Commit("dc1", Change{Writes: map[string][]byte{"managed/x.yaml": []byte("x\n")}, Removes: []string{"raw/a.yaml"}}, "ingest"); err != nil {
		t.Fatal(err)
	}
	if err := co.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	tree := srv.Tree("main")
	want := map[string]string{"dc1/managed/x.yaml": "x\n", "dc10/raw/b.yaml": "b: 1\n", "dc2/raw/c.yaml": "c: 1\n", "top.yaml": "t: 1\n", "README.md": "# fabric config\n"}
	if len(tree) != len(want) {
		t.Fatalf("pushed %v", gittest.Files(tree, ""))
	}
	for k, v := range want {
		if tree[k] != v {
			t.Errorf("%s: %q, want %q", k, tree[k], v)
		}
	}
	// A clone made for another folder is not reused for this one.
	co, err = (&RepoCache{Dir: filepath.Dir(co.Dir()), Allowed: allow(srv)}).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "dc2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(co.Dir(), "dc1")); !os.IsNotExist(err) {
		t.Fatal("the folder of the former fabric path is still checked out")
	}
}

// TestCheckoutLimits: the fabric folder's files are counted and sized from
// the objects; above a limit the sync fails with FGD_1006 and nothing is
// checked out. Files outside the fabric folder do not count.
func TestCheckoutLimits(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	files := map[string]string{}
	for i := 0; i < 5; i++ {
		files["dc1/raw/f"+string(rune('a'+i))+".yaml"] = strings.Repeat("#", 1000) + "\n" // 1001 bytes each
	}
	for i := 0; i < 50; i++ {
		files["elsewhere/f"+string(rune('a'+i%26))+string(rune('a'+i/26))+".yaml"] = strings.Repeat("x", 4000)
	}
	srv.Commit(files, nil, "files")
	tests := []struct {
		name     string
		bytes    int64
		files    int
		wantFail bool
	}{
		{"within both limits", 5005, 5, false},
		{"one file too many", 1 << 20, 4, true},
		{"one byte too many", 5004, 100, true},
		{"defaults", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &RepoCache{Dir: t.TempDir(), Allowed: allow(srv), MaxCheckoutBytes: tc.bytes, MaxCheckoutFiles: tc.files}
			_, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "dc1")
			if !tc.wantFail {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if fgderr.CodeOf(err) != fgderr.LimitExceeded || !strings.Contains(err.Error(), "HEDGEHOG_FGD_MAX_CHECKOUT_") {
				t.Fatalf("want FGD_1006 naming the limit, got %v", err)
			}
			if _, err := os.Stat(filepath.Join(rc.Dir, "dc1", "dc1")); !os.IsNotExist(err) {
				t.Fatal("something was checked out")
			}
		})
	}
}
