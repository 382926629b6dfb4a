package gitcache

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// allow is an allow list holding the test server only.
func allow(srv *gittest.Server) github.AllowedRemotes {
	return github.AllowedRemotes{srv.URL + "/"}
}

// gitCmd runs git in dir and returns its output.
func gitCmd(t testing.TB, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=Network Engineer", "GIT_AUTHOR_EMAIL=neteng@example.com",
		"GIT_COMMITTER_NAME=Network Engineer", "GIT_COMMITTER_EMAIL=neteng@example.com")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// pushWith commits to main, straight into the server's bare repository,
// what edit does to a fresh clone's work tree (real symlinks included), as
// a person with git would. It returns the new head.
func pushWith(t testing.TB, srv *gittest.Server, message string, edit func(work string)) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	gitCmd(t, "", nil, "clone", "--quiet", "--branch", "main", srv.BareDir, work)
	edit(work)
	gitCmd(t, work, nil, "add", "-A")
	gitCmd(t, work, nil, "commit", "--quiet", "--allow-empty", "-m", message)
	gitCmd(t, work, nil, "push", "--quiet", "origin", "main")
	return strings.TrimSpace(gitCmd(t, work, nil, "rev-parse", "HEAD"))
}

// writeFile writes a file of the test's own, creating its folders.
func writeTestFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// symlink makes a real symlink at name (folders created) pointing at target.
func symlink(t testing.TB, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// lsTree is the mode and object of every path of the branch, from the
// server's bare repository.
func lsTree(t testing.TB, srv *gittest.Server, branch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(gitCmd(t, srv.BareDir, nil, "ls-tree", "-r", "refs/heads/"+branch)), "\n") {
		meta, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		out[name] = f[0] + " " + f[2]
	}
	return out
}

// snapshot is every file below dir with its content (symlinks as "->
// target"), to show that nothing changed.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case fi.Mode().IsRegular():
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

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
