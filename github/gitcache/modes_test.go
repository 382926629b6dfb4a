package gitcache

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// TestCacheModes: under umask 0, every folder the cache creates is 0700 and
// every file 0600 (0400 for the objects and packs git makes read-only):
// nothing is readable by another user.
func TestCacheModes(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	srv.Commit(map[string]string{"dc1/raw/a.yaml": "a: 1\n", "dc1/deep/er/b.yaml": "b: 1\n"}, nil, "files")
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	rc := &RepoCache{Dir: filepath.Join(t.TempDir(), "cache"), Author: Author{Name: "fgd-sync", Email: "bot@example.com"}, Allowed: allow(srv)}
	for i := 0; i < 2; i++ { // a clone, then a fetch and reset of it
		co, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "dc1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := co.Commit("dc1", Change{Writes: map[string][]byte{"managed/vpcs/new.yaml": []byte("kind: VPC\n")}}, "ingest"); err != nil {
			t.Fatal(err)
		}
		if err := co.Push(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Commit(map[string]string{"dc1/raw/c.yaml": "c: 1\n"}, nil, "more")
	}
	seen := map[string]fs.FileMode{}
	err := filepath.WalkDir(rc.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rc.Dir, p)
		perm := fi.Mode().Perm()
		seen[filepath.ToSlash(rel)] = perm
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
		case fi.IsDir() && perm != 0o700:
			t.Errorf("folder %s is %o, want 700", rel, perm)
		case fi.Mode().IsRegular() && perm != 0o600 && perm != 0o400:
			t.Errorf("file %s is %o, want 600 (or 400)", rel, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".", "dc1/dc1/raw/a.yaml", "dc1/dc1/raw/c.yaml", "dc1/dc1/managed/vpcs/new.yaml", "dc1/.git/config", "dc1/.git/index", "dc1/dc1/deep/er"} {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s was not checked: the test sees less than it should", name)
		}
	}
}
