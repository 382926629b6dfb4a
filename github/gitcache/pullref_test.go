package gitcache

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// TestOpenPullRequest: a pull request's head is fetched from the base
// repository's refs/pull/<n>/head into a clone of its own, follows a
// synchronize, switches between pull requests, survives a corrupt cache,
// and never moves the base branch.
func TestOpenPullRequest(t *testing.T) {
	srv := gittest.New(t, gittest.Options{Token: "tok-1234"})
	creds, _ := github.NewTokenCredentials("", "tok-1234", nil)
	rc := &RepoCache{Dir: t.TempDir(), Creds: creds, Allowed: github.AllowedRemotes{srv.URL + "/"}}
	ctx := context.Background()
	mainHead := srv.Head("main")
	key := PullRequestCacheKey("dc1", srv.RepoURL())
	if key == CacheKey("dc1", srv.RepoURL(), "main") {
		t.Fatal("the pull-request clone shares the branch clone's key")
	}

	read := func(co *PullRequestCheckout, name string) string {
		t.Helper()
		fsys, done, err := co.FabricFS(".")
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return ""
		}
		return string(b)
	}

	first := srv.PullRequest(7, map[string]string{"raw/vpc.yaml": "v: 1\n", "raw/stray.yaml": "s\n"}, nil, "add a VPC")
	co, err := rc.OpenPullRequest(ctx, key, "acme/x", srv.RepoURL(), 7, ".")
	if err != nil {
		t.Fatal(err)
	}
	if co.Head() != first || read(co, "raw/vpc.yaml") != "v: 1\n" {
		t.Fatalf("head %s, want %s", co.Head(), first)
	}

	second := srv.PullRequest(7, map[string]string{"raw/vpc.yaml": "v: 2\n"}, []string{"raw/stray.yaml"}, "fix the VPC")
	co, err = rc.OpenPullRequest(ctx, key, "acme/x", srv.RepoURL(), 7, ".")
	if err != nil || co.Head() != second || read(co, "raw/vpc.yaml") != "v: 2\n" || read(co, "raw/stray.yaml") != "" {
		t.Fatalf("after synchronize: %v head %s want %s", err, co.Head(), second)
	}

	other := srv.PullRequest(8, map[string]string{"raw/other.yaml": "o\n"}, nil, "another pull request")
	co, err = rc.OpenPullRequest(ctx, key, "acme/x", srv.RepoURL(), 8, ".")
	if err != nil || co.Head() != other || read(co, "raw/vpc.yaml") != "" || read(co, "raw/other.yaml") != "o\n" {
		t.Fatalf("pull request 8: %v", err)
	}

	if err := os.RemoveAll(filepath.Join(rc.Dir, key, ".git", "objects")); err != nil {
		t.Fatal(err)
	}
	co, err = rc.OpenPullRequest(ctx, key, "acme/x", srv.RepoURL(), 7, ".")
	if err != nil || co.Head() != second {
		t.Fatalf("corrupt cache: %v", err)
	}

	if srv.Head("main") != mainHead {
		t.Fatal("the base branch moved")
	}
}

func TestOpenPullRequestErrors(t *testing.T) {
	srv := gittest.New(t, gittest.Options{Token: "tok-1234"})
	srv.PullRequest(1, map[string]string{"a": "a\n"}, nil, "pr")
	good, _ := github.NewTokenCredentials("", "tok-1234", nil)
	bad, _ := github.NewTokenCredentials("", "wrong-token-5678", nil)
	tests := []struct {
		name   string
		creds  github.Credentials
		number int
		code   fgderr.Code
	}{
		{"no such pull request", good, 99, fgderr.GitHubNotFound},
		{"number zero", good, 0, fgderr.BadRequest},
		{"wrong token", bad, 1, fgderr.GitHubAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &RepoCache{Dir: t.TempDir(), Creds: tt.creds, Allowed: github.AllowedRemotes{srv.URL + "/"}}
			_, err := rc.OpenPullRequest(context.Background(), PullRequestCacheKey("dc1", srv.RepoURL()), "acme/x", srv.RepoURL(), tt.number, ".")
			if fgderr.CodeOf(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if err != nil && (strings.Contains(err.Error(), "tok-1234") || strings.Contains(err.Error(), "wrong-token-5678")) {
				t.Fatalf("a token in the error: %v", err)
			}
		})
	}
}

// TestPullRequestFabricFolder: a fabric whose path is a folder is validated
// from that folder alone; its clone is private (0700 folders, 0600 files,
// whatever the umask); and a clone URL off the allow list is refused before
// anything is contacted.
func TestPullRequestFabricFolder(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	srv := gittest.New(t, gittest.Options{})
	rc := &RepoCache{Dir: t.TempDir(), Allowed: github.AllowedRemotes{srv.URL + "/"}}
	srv.PullRequest(3, map[string]string{"dc1/raw/vpc.yaml": "v: 1\n", "dc10/raw/other.yaml": "o\n"}, nil, "add a VPC")
	key := PullRequestCacheKey("dc1", srv.RepoURL())
	co, err := rc.OpenPullRequest(context.Background(), key, "acme/x", srv.RepoURL(), 3, "dc1")
	if err != nil {
		t.Fatal(err)
	}
	fsys, done, err := co.FabricFS("dc1")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if b, err := fs.ReadFile(fsys, "raw/vpc.yaml"); err != nil || string(b) != "v: 1\n" {
		t.Fatalf("dc1/raw/vpc.yaml: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(rc.Dir, key, "dc10")); !os.IsNotExist(err) {
		t.Fatalf("another fabric's folder was checked out: %v", err)
	}
	err = filepath.WalkDir(filepath.Join(rc.Dir, key), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			return fmt.Errorf("%s is %o: readable by others", p, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	contacted := false
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { contacted = true }))
	defer other.Close()
	_, err = rc.OpenPullRequest(context.Background(), PullRequestCacheKey("dc2", other.URL+"/x.git"), "acme/x", other.URL+"/x.git", 3, ".")
	if fgderr.CodeOf(err) != fgderr.GitHubAuth || contacted {
		t.Fatalf("a URL off the allow list: %v, contacted %v", err, contacted)
	}
}
