package gittest

import (
	"fmt"
	"os/exec"
	"strings"
)

// PullRequest makes a commit as a pull request's author would, on the
// pull request's head (or on main for its first commit), and stores it in
// the bare repository as refs/pull/<number>/head, as GitHub does for every
// pull request, a fork's included. The branch main does not move. It
// returns the new head.
func (s *Server) PullRequest(number int, files map[string]string, removes []string, message string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := fmt.Sprintf("refs/pull/%d/head", number)
	s.git(s.work, "fetch", "--quiet", "origin", "+refs/heads/main:refs/remotes/origin/main")
	base := "origin/main"
	if s.hasRef(ref) {
		s.git(s.work, "fetch", "--quiet", "origin", "+"+ref+":refs/remotes/origin/pull/"+fmt.Sprint(number))
		base = "origin/pull/" + fmt.Sprint(number)
	}
	s.git(s.work, "checkout", "--quiet", "--detach", base)
	s.git(s.work, "reset", "--quiet", "--hard", base)
	for name, content := range files {
		s.write(name, content)
	}
	for _, name := range removes {
		s.git(s.work, "rm", "--quiet", "-r", name)
	}
	s.git(s.work, "add", "-A")
	s.git(s.work, "commit", "--quiet", "--allow-empty", "-m", message)
	s.git(s.work, "push", "--quiet", "--force", "origin", "HEAD:"+ref)
	head := strings.TrimSpace(s.git(s.work, "rev-parse", "HEAD"))
	// Back on main, where Commit works.
	s.git(s.work, "checkout", "--quiet", "main")
	return head
}

// Ref is the commit a ref of the bare repository points at.
func (s *Server) Ref(ref string) string {
	s.t.Helper()
	return strings.TrimSpace(s.git(s.BareDir, "rev-parse", ref))
}

func (s *Server) hasRef(ref string) bool {
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", ref)
	cmd.Dir = s.BareDir
	return cmd.Run() == nil
}
