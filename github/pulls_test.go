package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/internal/githubfake"
)

const (
	prRepo   = "acme/fabric-config"
	prMarker = "<!-- fgd-sync fabric: dc1 -->"
)

// pr is a pull request into main as GitHub lists it.
func pr(author, headRepo, headRef, body string) *gh.PullRequest {
	p := &gh.PullRequest{User: &gh.User{Login: gh.String(author)}, Body: gh.String(body),
		Head: &gh.PullRequestBranch{Ref: gh.String(headRef)},
		Base: &gh.PullRequestBranch{Ref: gh.String("main"), Repo: githubfake.Repository(prRepo)}}
	if headRepo != "" {
		p.Head.Repo = githubfake.Repository(headRepo)
	}
	return p
}

// TestPullRequestModeTrustsOnlyItsOwn: pull-request mode finds and updates
// only a pull request from an fgd/ branch of the repository itself, opened
// by the identity fgd-sync acts as (GET /user for a token, "<slug>[bot]"
// from GET /app for an App), past the first page of 100; a fork's, a
// stranger's or a non-fgd/ pull request is never found, edited or pushed
// to, and a new one is opened instead.
func TestPullRequestModeTrustsOnlyItsOwn(t *testing.T) {
	const user, bot = githubfake.DefaultLogin, "fgd-app[bot]"
	hostile := func(me, other string) []*gh.PullRequest {
		return []*gh.PullRequest{
			pr(me, "mallory/fabric-config", "fgd/sync-1", prMarker), // a fork's fgd/ branch, even by the same login
			pr("mallory", prRepo, "fgd/sync-2", prMarker),           // a stranger with push access
			pr(me, prRepo, "feature/x", prMarker),                   // not an fgd/ branch
			pr(me, "", "fgd/sync-3", prMarker),                      // a deleted fork
			pr(other, prRepo, "fgd/sync-4", prMarker),               // the other kind of identity
			pr(me, prRepo, "fgd/sync-5", "<!-- fgd-sync fabric: dc2 -->"),
		}
	}
	tests := []struct {
		name      string
		app       bool
		me, other string
		own       *gh.PullRequest // opened first, so that 150 later ones push it to page 2
		noise     int
	}{
		{"token, own pull request on page 2", false, user, bot, pr(user, "ACME/Fabric-Config", "fgd/sync-own", prMarker), 150},
		{"token, none of its own", false, user, bot, nil, 150},
		{"App, own pull request on page 2", true, bot, user, pr(bot, prRepo, "fgd/sync-own", prMarker), 150},
		{"App, none of its own", true, bot, user, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := githubfake.New(t, "tok")
			api := testAPI(t, fake, tc.app)
			ownNumber := 0
			if tc.own != nil {
				ownNumber = fake.AddPullRequest(prRepo, tc.own)
			}
			for i := 0; i < tc.noise; i++ {
				fake.AddPullRequest(prRepo, pr("someone", prRepo, fmt.Sprintf("feature/%d", i), "unrelated"))
			}
			for _, p := range hostile(tc.me, tc.other) {
				fake.AddPullRequest(prRepo, p)
			}
			ctx := context.Background()
			found, ok, err := api.FindOpenPR(ctx, prRepo, "main", prMarker)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (ownNumber != 0) || (ok && (found.Number != ownNumber || found.Head != "fgd/sync-own")) {
				t.Fatalf("found %+v (%v), want #%d", found, ok, ownNumber)
			}
			got, err := api.OpenOrUpdatePR(ctx, prRepo, "fgd/sync-new", "main", "title", "body\n"+prMarker, prMarker)
			if err != nil {
				t.Fatal(err)
			}
			var edits, creates, identity []string
			pages := 0
			for _, c := range fake.Calls() {
				switch {
				case strings.HasPrefix(c, "PATCH /repos/"+prRepo+"/pulls/"):
					edits = append(edits, strings.TrimPrefix(c, "PATCH /repos/"+prRepo+"/pulls/"))
				case c == "POST /repos/"+prRepo+"/pulls":
					creates = append(creates, c)
				case c == "GET /user" || c == "GET /app":
					identity = append(identity, c)
				case c == "GET /repos/"+prRepo+"/pulls":
					pages++
				}
			}
			if ownNumber != 0 {
				if len(edits) != 1 || edits[0] != fmt.Sprint(ownNumber) || len(creates) != 0 || got.Number != ownNumber || got.Head != "fgd/sync-own" {
					t.Fatalf("edits %v creates %v got %+v, want only #%d edited", edits, creates, got, ownNumber)
				}
			} else {
				if len(edits) != 0 || len(creates) != 1 || got.Head != "fgd/sync-new" {
					t.Fatalf("edits %v creates %v got %+v, want a new pull request and no edit", edits, creates, got)
				}
			}
			if tc.noise > 100 && pages < 2*2 {
				t.Fatalf("%d list calls for two lookups of %d pull requests: the second page was not read", pages, tc.noise)
			}
			if len(identity) != 1 {
				t.Fatalf("identity lookups %v, want one (cached)", identity)
			}
			if tc.app && identity[0] != "GET /app" || !tc.app && identity[0] != "GET /user" {
				t.Fatalf("identity from %v", identity)
			}
		})
	}
}

// testAPI is the API for the repository, with token or App credentials.
func testAPI(t *testing.T, fake *githubfake.Server, app bool) *API {
	t.Helper()
	if !app {
		creds, err := NewTokenCredentials(fake.URL, "tok", nil)
		if err != nil {
			t.Fatal(err)
		}
		api, _ := creds.API(context.Background(), prRepo)
		return api
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.App = &githubfake.App{ID: 4242, Slug: "fgd-app", Key: &key.PublicKey, InstallationID: 77, InstallationToken: "ghs_inst"}
	creds, err := NewAppCredentials(fake.URL, 4242, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	api, err := creds.API(context.Background(), prRepo)
	if err != nil {
		t.Fatal(err)
	}
	return api
}
