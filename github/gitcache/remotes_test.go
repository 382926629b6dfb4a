package gitcache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// countingCreds are credentials that count the tokens asked for: a token
// asked for is a token that could be sent.
type countingCreds struct {
	token string
	asked atomic.Int32
}

func (c *countingCreds) Token(context.Context, string) (string, error) {
	c.asked.Add(1)
	return c.token, nil
}
func (c *countingCreds) API(context.Context, string) (*github.API, error) { return nil, nil }
func (c *countingCreds) App() bool                                        { return false }

// TestOpenRefusesRemotesNotAllowed: a clone URL off the allow list fails
// with FGD_4002 before any network contact and before any token is asked
// for; a local repository's hooks never run.
func TestOpenRefusesRemotesNotAllowed(t *testing.T) {
	var contacted atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contacted.Add(1)
		http.Error(w, "no", http.StatusNotFound)
	}))
	t.Cleanup(elsewhere.Close)

	// A local bare repository whose hooks would leave a mark if go-git ran
	// them (receive-pack runs them on push; upload-pack hooks exist too).
	local := gittest.New(t, gittest.Options{})
	mark := filepath.Join(t.TempDir(), "hook-ran")
	for _, hook := range []string{"pre-receive", "post-receive", "update", "post-update", "pre-upload-pack"} {
		writeTestFile(t, filepath.Join(local.BareDir, "hooks", hook), "#!/bin/sh\ntouch "+mark+"\n")
		if err := os.Chmod(filepath.Join(local.BareDir, "hooks", hook), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	allowed := github.AllowedRemotes{"https://github.com/", "http://127.0.0.1:1/only/"}
	tests := []struct{ name, url string }{
		{"another host over http", elsewhere.URL + "/acme/x.git"},
		{"https lookalike host", "https://github.com.evil.example/acme/x.git"},
		{"plain http to github", "http://github.com/acme/x.git"},
		{"local path", local.BareDir},
		{"file URL", "file://" + local.BareDir},
		{"credentials in the URL", "https://x:y@github.com/acme/x.git"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := &countingCreds{token: "tok-secret"}
			rc := &RepoCache{Dir: t.TempDir(), Creds: creds, Allowed: allowed}
			_, err := rc.Open(context.Background(), "dc1", "acme/x", tc.url, "main", ".")
			if fgderr.CodeOf(err) != fgderr.GitHubAuth || !strings.Contains(err.Error(), "clone_url") || !strings.Contains(err.Error(), "HEDGEHOG_FGD_GIT_ALLOWED_URLS") {
				t.Fatalf("want FGD_4002 naming clone_url and the variable, got %v", err)
			}
			if transient, _ := fgderr.IsTransient(err); transient {
				t.Fatal("a URL that is not allowed must not be retried")
			}
			if strings.Contains(err.Error(), "tok-secret") || strings.Contains(err.Error(), "x:y") {
				t.Fatalf("the error shows a secret: %v", err)
			}
			if n := creds.asked.Load(); n != 0 {
				t.Fatalf("a token was asked for %d times", n)
			}
		})
	}
	if n := contacted.Load(); n != 0 {
		t.Fatalf("the host that is not allowed was contacted %d times", n)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("a hook of the local repository ran")
	}
	// An empty allow list allows nothing, the test server included.
	srv := gittest.New(t, gittest.Options{})
	if _, err := (&RepoCache{Dir: t.TempDir()}).Open(context.Background(), "dc1", "acme/x", srv.RepoURL(), "main", "."); fgderr.CodeOf(err) != fgderr.GitHubAuth {
		t.Fatalf("an empty allow list let %s through: %v", srv.RepoURL(), err)
	}
}

// TestTokenNotSentAcrossRedirect: an allowed remote that redirects to
// another host does not hand that host the token.
func TestTokenNotSentAcrossRedirect(t *testing.T) {
	srv := gittest.New(t, gittest.Options{})
	target, _ := url.Parse(srv.URL)
	var mu sync.Mutex
	var seen []string // Authorization headers the other host received
	proxy := httputil.NewSingleHostReverseProxy(target)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)
	var authAtAllowed atomic.Int32
	allowedHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			authAtAllowed.Add(1)
		}
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(allowedHost.Close)

	rc := &RepoCache{Dir: t.TempDir(), Creds: &countingCreds{token: "tok-redirect-secret"}, Allowed: github.AllowedRemotes{allowedHost.URL + "/"}}
	_, _ = rc.Open(context.Background(), "dc1", "acme/x", allowedHost.URL+"/"+gittest.RepoName, "main", ".")
	if authAtAllowed.Load() == 0 {
		t.Fatal("the allowed host never got the credentials: the test shows nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the redirect was not followed: the test shows nothing")
	}
	for _, h := range seen {
		if h != "" {
			t.Fatalf("the host a redirect led to received credentials: %q", h)
		}
	}
}
