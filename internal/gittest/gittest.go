// Package gittest runs a real git smart-HTTP server for tests: git
// http-backend behind net/http/cgi, on a bare repository in a temp folder,
// with token auth and fault injection in front of it.
package gittest

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// RepoName is the repository's path on the server.
const RepoName = "fabric.git"

// T is the part of testing.TB the server needs, so that make demo can run
// it outside a test.
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	TempDir() string
	Cleanup(func())
}

// Server is a git server with one bare repository whose branch main has a
// first commit.
type Server struct {
	URL     string // base URL; the repository is URL + "/" + RepoName
	BareDir string
	Token   string // when set, every request needs basic auth x-access-token:Token

	t        T
	work     string // the "user's" clone, for commits made outside fgd-sync
	mu       sync.Mutex
	failures []int  // statuses to answer to the next requests, in order
	hook     func() // run once before the next receive-pack (push) is served
}

// Options configure a server.
type Options struct {
	Token string
}

// New starts a server. It needs git installed, as CI and make test ensure.
func New(t T, o Options) *Server {
	t.Helper()
	gitExec, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git is not installed: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(gitExec)), "git-http-backend")
	root := t.TempDir()
	s := &Server{BareDir: filepath.Join(root, RepoName), Token: o.Token, t: t, work: filepath.Join(t.TempDir(), "work")}
	s.git("", "init", "--bare", "--initial-branch=main", s.BareDir)
	s.git(s.BareDir, "config", "http.receivepack", "true")
	s.git("", "clone", "--quiet", s.BareDir, s.work)
	s.git(s.work, "config", "user.name", "Network Engineer")
	s.git(s.work, "config", "user.email", "neteng@example.com")
	s.git(s.work, "checkout", "--quiet", "-b", "main")
	s.write("README.md", "# fabric config\n")
	s.git(s.work, "add", "-A")
	s.git(s.work, "commit", "--quiet", "-m", "first commit")
	s.git(s.work, "push", "--quiet", "origin", "main")

	cgiHandler := &cgi.Handler{
		Path: backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Token != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if status := s.nextFailure(); status != 0 {
			http.Error(w, "injected failure", status)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			s.mu.Lock()
			hook := s.hook
			s.hook = nil
			s.mu.Unlock()
			if hook != nil {
				hook()
			}
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// RepoURL is the clone URL.
func (s *Server) RepoURL() string { return s.URL + "/" + RepoName }

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+s.Token))
	return h == want
}

func (s *Server) nextFailure() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) == 0 {
		return 0
	}
	st := s.failures[0]
	s.failures = s.failures[1:]
	return st
}

// FailNext makes the next requests answer these HTTP statuses, in order.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// BeforeNextPush runs f once, just before the next push is served: the
// moment to make the branch move under fgd-sync.
func (s *Server) BeforeNextPush(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = f
}

func (s *Server) git(dir string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func (s *Server) write(name, content string) {
	p := filepath.Join(s.work, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// Commit makes a commit as a person would, outside fgd-sync, and pushes it
// straight to the bare repository. It returns the new head.
func (s *Server) Commit(files map[string]string, removes []string, message string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.git(s.work, "fetch", "--quiet", "origin")
	s.git(s.work, "reset", "--quiet", "--hard", "origin/main")
	for name, content := range files {
		s.write(name, content)
	}
	for _, name := range removes {
		s.git(s.work, "rm", "--quiet", "-r", name)
	}
	s.git(s.work, "add", "-A")
	s.git(s.work, "commit", "--quiet", "--allow-empty", "-m", message)
	s.git(s.work, "push", "--quiet", "origin", "main")
	return strings.TrimSpace(s.git(s.work, "rev-parse", "HEAD"))
}

// Head is the branch's head commit.
func (s *Server) Head(branch string) string {
	s.t.Helper()
	return strings.TrimSpace(s.git(s.BareDir, "rev-parse", "refs/heads/"+branch))
}

// HasBranch reports whether the branch exists.
func (s *Server) HasBranch(branch string) bool {
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	cmd.Dir = s.BareDir
	return cmd.Run() == nil
}

// CommitInfo is one commit of the log.
type CommitInfo struct {
	Hash, Author, Email, Message string
	Parents                      []string
}

// Log lists a branch's commits, newest first.
func (s *Server) Log(branch string) []CommitInfo {
	s.t.Helper()
	out := s.git(s.BareDir, "log", "--format=%H%x00%an%x00%ae%x00%P%x00%B%x1e", "refs/heads/"+branch)
	var list []CommitInfo
	for _, rec := range strings.Split(out, "\x1e") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.SplitN(rec, "\x00", 5)
		list = append(list, CommitInfo{Hash: f[0], Author: f[1], Email: f[2], Parents: strings.Fields(f[3]), Message: f[4]})
	}
	return list
}

// Tree maps every file of a branch to its content.
func (s *Server) Tree(branch string) map[string]string {
	s.t.Helper()
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimSpace(s.git(s.BareDir, "ls-tree", "-r", "--name-only", "refs/heads/"+branch)), "\n") {
		if name == "" {
			continue
		}
		out[name] = s.git(s.BareDir, "show", "refs/heads/"+branch+":"+name)
	}
	return out
}

// Files lists the paths of a tree, sorted, with a prefix.
func Files(tree map[string]string, prefix string) []string {
	var out []string
	for k := range tree {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
