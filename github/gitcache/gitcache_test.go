package gitcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// TestRepoCache: first use clones, later uses fetch and reset, and a corrupt
// cache is thrown away and cloned again; all over git's smart HTTP.
func TestRepoCache(t *testing.T) {
	srv := gittest.New(t, gittest.Options{Token: "tok-1234"})
	creds, _ := github.NewTokenCredentials("", "tok-1234", nil)
	rc := &RepoCache{Dir: t.TempDir(), Creds: creds, Author: Author{Name: "fgd-sync", Email: "bot@example.com"}, Allowed: allow(srv)}
	ctx := context.Background()

	co, err := rc.Open(ctx, "dc1", "acme/x", srv.RepoURL(), "main", ".")
	if err != nil {
		t.Fatal(err)
	}
	if co.Head() != srv.Head("main") {
		t.Fatal("clone is not at the remote head")
	}
	// Leftovers of a failed sync are dropped on the next open.
	if err := os.WriteFile(filepath.Join(co.Dir(), "stray.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	head := srv.Commit(map[string]string{"raw/a.yaml": "a: 1\n"}, nil, "more")
	co, err = rc.Open(ctx, "dc1", "acme/x", srv.RepoURL(), "main", ".")
	if err != nil || co.Head() != head {
		t.Fatalf("fetch: %v head %s want %s", err, co.Head(), head)
	}
	if _, err := os.Stat(filepath.Join(co.Dir(), "stray.yaml")); !os.IsNotExist(err) {
		t.Fatal("untracked leftovers survived the reset")
	}
	if _, err := os.Stat(filepath.Join(co.Dir(), "raw", "a.yaml")); err != nil {
		t.Fatal("the work tree was not reset to the new head")
	}
	// Corrupt the cache: it is cloned again.
	if err := os.WriteFile(filepath.Join(co.Dir(), ".git", "HEAD"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(co.Dir(), ".git", "objects")); err != nil {
		t.Fatal(err)
	}
	co, err = rc.Open(ctx, "dc1", "acme/x", srv.RepoURL(), "main", ".")
	if err != nil || co.Head() != head {
		t.Fatalf("re-clone: %v", err)
	}
	// Commit and push.
	sha, err := co.Commit(".", Change{Writes: map[string][]byte{"managed/vpcs/x.yaml": []byte("kind: VPC\n")}, Removes: []string{"raw/a.yaml"}}, "msg\n\nFGD-Sync-Id: 1\n")
	if err != nil || sha == "" {
		t.Fatalf("commit: %q %v", sha, err)
	}
	if err := co.Push(ctx); err != nil {
		t.Fatal(err)
	}
	tree := srv.Tree("main")
	if tree["managed/vpcs/x.yaml"] != "kind: VPC\n" || tree["raw/a.yaml"] != "" {
		t.Fatalf("pushed tree %v", gittest.Files(tree, ""))
	}
	// An empty change commits nothing.
	if sha, err := co.Commit(".", Change{}, "nothing"); err != nil || sha != "" {
		t.Fatalf("empty change: %q %v", sha, err)
	}
}

func TestRepoCacheWrongBranchIsPermanent(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	rc := &RepoCache{Dir: t.TempDir(), Allowed: allow(srv)}
	_, err := rc.Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "no-such-branch", ".")
	if err == nil {
		t.Fatal("no error for a missing branch")
	}
	if transient, _ := fgderr.IsTransient(err); transient {
		t.Fatalf("a missing branch must be permanent: %v", err)
	}
}

func TestClassifyGit(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
		rejected  bool
		code      fgderr.Code
	}{
		{"auth", fmt.Errorf("x: %w", transport.ErrAuthenticationRequired), false, false, fgderr.GitHubAuth},
		{"forbidden", transport.ErrAuthorizationFailed, false, false, fgderr.GitHubAuth},
		{"not found", transport.ErrRepositoryNotFound, false, false, fgderr.GitHubNotFound},
		{"client-side non-fast-forward", errors.New("non-fast-forward update: refs/heads/main"), false, true, ""},
		{"server-side rejection", errors.New("command error on refs/heads/main: failed to update ref"), false, true, ""},
		{"timeout", context.DeadlineExceeded, true, false, fgderr.SyncTimeout},
		{"missing branch", errors.New("couldn't find remote ref refs/heads/nope"), false, false, fgderr.GitHubNotFound},
		{"secret in the text", errors.New("auth of https://x:s3cret@h/r.git with s3cret: odd failure"), false, false, fgderr.SyncFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := classifyGit(tc.err, "fetch", "s3cret")
			transient, _ := fgderr.IsTransient(err)
			if transient != tc.transient || errors.Is(err, ErrPushRejected) != tc.rejected {
				t.Fatalf("%v: transient=%v rejected=%v", err, transient, errors.Is(err, ErrPushRejected))
			}
			if tc.code != "" && fgderr.CodeOf(err) != tc.code {
				t.Fatalf("%v: code %s, want %s", err, fgderr.CodeOf(err), tc.code)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the secret leaked: %v", err)
			}
		})
	}
}

func TestCloneURL(t *testing.T) {
	for _, tc := range []struct{ explicit, api, repo, want string }{
		{"", "https://api.github.com/", "acme/x", "https://github.com/acme/x.git"},
		{"", "https://ghe.example.com/api/v3/", "acme/x", "https://ghe.example.com/acme/x.git"},
		{"file:///srv/x.git", "https://api.github.com/", "acme/x", "file:///srv/x.git"},
	} {
		if got := CloneURL(tc.explicit, tc.api, tc.repo); got != tc.want {
			t.Errorf("CloneURL(%q, %q) = %q, want %q", tc.explicit, tc.api, got, tc.want)
		}
	}
}

// TestIsCacheProblem: only a failure of the local clone makes Open clone
// again; the remote's answers (auth, not found, transient) do not.
func TestIsCacheProblem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"corrupt clone", fmt.Errorf("open cached clone: %w", errors.New("repository does not exist")), true},
		{"reset failed", fmt.Errorf("reset: %w", errors.New("object not found")), true},
		{"other permanent failure", fgderr.New(fgderr.SyncFailed, "fetch: odd"), true},
		{"credentials refused", fgderr.New(fgderr.GitHubAuth, "fetch: refused"), false},
		{"branch not found", fmt.Errorf("x: %w", fgderr.New(fgderr.GitHubNotFound, "fetch: no branch")), false},
		{"network", fgderr.Retryable(fgderr.GitHubConnection, "fetch: reset by peer", nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isCacheProblem(tc.err); got != tc.want {
				t.Fatalf("isCacheProblem(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
