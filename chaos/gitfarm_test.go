//go:build chaos

package chaos

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gitFarm serves many bare repositories through one git http-backend, with
// a switch that makes it answer 503 for a while.
type gitFarm struct {
	URL  string
	root string

	failUntil atomic.Int64 // unix nanoseconds; 503 before then
	locks     sync.Map     // repository name → *sync.Mutex, for the test's own commits
}

func newGitFarm(t *testing.T, repos []string) *gitFarm {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal("the fault suite needs git")
	}
	f := &gitFarm{root: t.TempDir()}
	for _, name := range repos {
		bare := f.bare(name)
		run(t, "", nil, "git", "init", "--quiet", "--bare", "--initial-branch=main", bare)
		run(t, bare, nil, "git", "config", "http.receivepack", "true")
		run(t, bare, nil, "git", "config", "core.logAllRefUpdates", "always")
		f.commit(t, name, map[string]string{"README.md": "# " + name + "\n"}, "first commit")
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + f.root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Now().UnixNano() < f.failUntil.Load() {
			http.Error(w, "injected outage", http.StatusServiceUnavailable)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *gitFarm) bare(name string) string { return filepath.Join(f.root, name+".git") }

func (f *gitFarm) cloneURL(name string) string { return f.URL + "/" + name + ".git" }

// failFor makes every request answer 503 for d.
func (f *gitFarm) failFor(d time.Duration) { f.failUntil.Store(time.Now().Add(d).UnixNano()) }

func (f *gitFarm) lock(name string) *sync.Mutex {
	m, _ := f.locks.LoadOrStore(name, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// commit adds files on top of main, as a person pushing would, without a
// work tree: it builds the tree with a private index and moves main with a
// compare-and-swap, retrying when fgd-sync pushed in between. It returns
// the old and new heads.
func (f *gitFarm) commit(t *testing.T, name string, files map[string]string, message string) (before, after string) {
	t.Helper()
	mu := f.lock(name)
	mu.Lock()
	defer mu.Unlock()
	bare := f.bare(name)
	for attempt := 0; attempt < 50; attempt++ {
		index := filepath.Join(t.TempDir(), "index")
		env := []string{"GIT_INDEX_FILE=" + index, "GIT_AUTHOR_NAME=Network Engineer", "GIT_AUTHOR_EMAIL=neteng@example.com",
			"GIT_COMMITTER_NAME=Network Engineer", "GIT_COMMITTER_EMAIL=neteng@example.com"}
		head, err := output(bare, env, "git", "rev-parse", "--verify", "--quiet", "refs/heads/main")
		head = strings.TrimSpace(head)
		if err == nil {
			run(t, bare, env, "git", "read-tree", head)
		}
		for path, content := range files {
			blob := strings.TrimSpace(runIn(t, bare, env, content, "git", "hash-object", "-w", "--stdin"))
			run(t, bare, env, "git", "update-index", "--add", "--cacheinfo", "100644,"+blob+","+path)
		}
		tree := strings.TrimSpace(runIn(t, bare, env, "", "git", "write-tree"))
		args := []string{"commit-tree", tree, "-m", message}
		if head != "" {
			args = append(args, "-p", head)
		}
		commit := strings.TrimSpace(runIn(t, bare, env, "", "git", args...))
		old := head
		if old == "" {
			old = strings.Repeat("0", 40)
		}
		if _, err := output(bare, env, "git", "update-ref", "refs/heads/main", commit, old); err == nil {
			return old, commit
		}
	}
	t.Fatalf("%s: could not commit after 50 tries", name)
	return "", ""
}

// log is main's history: hash, parents and message of each commit.
func (f *gitFarm) log(t *testing.T, name string) []logEntry {
	t.Helper()
	out := run(t, f.bare(name), nil, "git", "log", "--format=%H%x00%P%x00%B%x1e", "refs/heads/main")
	var list []logEntry
	for _, rec := range strings.Split(out, "\x1e") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		p := strings.SplitN(rec, "\x00", 3)
		list = append(list, logEntry{hash: p[0], parents: strings.Fields(p[1]), message: p[2]})
	}
	return list
}

type logEntry struct {
	hash    string
	parents []string
	message string
}

// files lists main's paths.
func (f *gitFarm) files(t *testing.T, name string) map[string]bool {
	t.Helper()
	out := run(t, f.bare(name), nil, "git", "ls-tree", "-r", "--name-only", "refs/heads/main")
	m := map[string]bool{}
	for _, p := range strings.Fields(out) {
		m[p] = true
	}
	return m
}

// forcedUpdates counts reflog entries of main whose new value does not
// descend from the old one: a force-push.
func (f *gitFarm) forcedUpdates(t *testing.T, name string) int {
	t.Helper()
	out := run(t, f.bare(name), nil, "git", "reflog", "show", "--format=%H", "refs/heads/main")
	hashes := strings.Fields(out) // newest first
	forced := 0
	for i := 0; i+1 < len(hashes); i++ {
		newer, older := hashes[i], hashes[i+1]
		if _, err := output(f.bare(name), nil, "git", "merge-base", "--is-ancestor", older, newer); err != nil {
			forced++
		}
	}
	return forced
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	return runIn(t, dir, env, "", name, args...)
}

func runIn(t *testing.T, dir string, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%w: %s", err, errb.String())
	}
	return out.String(), nil
}
