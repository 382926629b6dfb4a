package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/store"
)

// TestHostileRepositoryContent: a .gitignore hiding managed/ and
// unmanaged/, and a managed file committed as a symlink to the cache's
// .git/config, change nothing of the outcome: the bot's commit holds the
// managed file as a regular file, the raw file is gone, and the worker's
// .git/config is untouched.
func TestHostileRepositoryContent(t *testing.T) {
	e := newEnv(t, envOptions{})
	cfg := e.cfg(gitToken)
	e.startWorkerWith(cfg)
	pushEdit(t, e.git, "hostile content", func(work string) {
		write := func(name, content string) {
			p := filepath.Join(work, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(".gitignore", "managed/\nunmanaged/\n")
		write("raw/vpcs.yaml", vpc("vpc-1", 1001)+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n")
		if err := os.MkdirAll(filepath.Join(work, "managed", "vpcs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../.git/config", filepath.Join(work, "managed", "vpcs", "vpc-1.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	rec := e.waitRecord(e.push("delivery-hostile-1", "raw/vpcs.yaml", "managed/vpcs/vpc-1.yaml")[0], time.Minute)
	if rec.Commit == "" || (rec.State != store.StateSucceeded && rec.State != store.StatePartial) {
		t.Fatalf("record %+v", rec)
	}
	symlinkReported := false
	for _, issue := range rec.Errors {
		symlinkReported = symlinkReported || (issue.Code == fgderr.Symlink && issue.File == "managed/vpcs/vpc-1.yaml")
	}
	if !symlinkReported {
		t.Errorf("the symlink was not reported: %+v", rec.Errors)
	}
	tree := e.git.Tree("main")
	if !strings.Contains(tree["managed/vpcs/vpc-1.yaml"], "kind: VPC") || !strings.Contains(tree["unmanaged/vpcs.yaml"], "name: notes") {
		t.Fatalf("the ignored outputs did not land: %v", gittest.Files(tree, ""))
	}
	if _, ok := tree["raw/vpcs.yaml"]; ok {
		t.Fatal("the raw file is still there")
	}
	if mode := lsMode(t, e.git, "managed/vpcs/vpc-1.yaml"); mode != "100644" {
		t.Fatalf("managed/vpcs/vpc-1.yaml pushed with mode %s, want a regular file", mode)
	}
	gitConfig, err := os.ReadFile(filepath.Join(cfg.DataDir, gitcache.CacheKey(e.fabric.Name, e.git.RepoURL(), e.fabric.Branch), ".git", "config"))
	if err != nil || strings.Contains(string(gitConfig), "VPC") || !strings.Contains(string(gitConfig), `[remote "origin"]`) {
		t.Fatalf("the cache's .git/config was written through the symlink: %v\n%s", err, gitConfig)
	}
}

// TestSymlinkedFolderFailsTheSync: a folder committed as a symlink where
// the sync writes a file fails the sync with FGD_2003; nothing is written
// through it, outside the clone, or pushed.
func TestSymlinkedFolderFailsTheSync(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	outside := t.TempDir()
	pushEdit(t, e.git, "unmanaged/ is a symlink", func(work string) {
		if err := os.MkdirAll(filepath.Join(work, "raw"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "raw", "notes.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(work, "unmanaged")); err != nil {
			t.Fatal(err)
		}
	})
	head := e.git.Head("main")
	rec := e.waitRecord(e.push("delivery-symlinked-folder", "raw/notes.yaml")[0], time.Minute)
	if rec.State != store.StateFailed || len(rec.Errors) == 0 || rec.Errors[len(rec.Errors)-1].Code != fgderr.Symlink {
		t.Fatalf("want a failed sync with FGD_2003, got %+v", rec)
	}
	if e.git.Head("main") != head {
		t.Fatal("something was pushed")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("%d files written outside the clone", len(entries))
	}
}

// pushEdit commits to main what edit does to a fresh clone's work tree
// (real symlinks included), as a person with git would.
func pushEdit(t *testing.T, srv *gittest.Server, message string, edit func(work string)) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "edit")
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Mallory", "GIT_AUTHOR_EMAIL=m@example.com", "GIT_COMMITTER_NAME=Mallory", "GIT_COMMITTER_EMAIL=m@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("git", "clone", "--quiet", srv.BareDir, work).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	edit(work)
	run("add", "-A", "-f")
	run("commit", "--quiet", "-m", message)
	run("push", "--quiet", "origin", "HEAD:main")
}

// lsMode is the mode of a path on main, from the server's repository.
func lsMode(t *testing.T, srv *gittest.Server, name string) string {
	t.Helper()
	cmd := exec.Command("git", "ls-tree", "refs/heads/main", "--", name)
	cmd.Dir = srv.BareDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
