package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/githubfake"
)

func TestPullRequestFilesFollowsPages(t *testing.T) {
	tests := []struct {
		name  string
		files int
		pages int // requests to the files endpoint
	}{
		{"one page", 3, 1},
		{"exactly one full page", 100, 1},
		{"three pages", 250, 3},
		{"GitHub's cap", 3200, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubfake.New(t, "tok")
			var files []*gh.CommitFile
			for i := range tt.files {
				files = append(files, &gh.CommitFile{Filename: gh.String(fmt.Sprintf("raw/f%04d.yaml", i)), Status: gh.String("added")})
			}
			fake.SetPullRequestFiles("acme/x", 7, files)
			api, err := NewAPI(fake.URL, "tok", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := api.PullRequestFiles(context.Background(), "acme/x", 7)
			if err != nil {
				t.Fatal(err)
			}
			want := min(tt.files, MaxPullRequestFiles)
			if len(got) != want || got[0] != "raw/f0000.yaml" || got[want-1] != fmt.Sprintf("raw/f%04d.yaml", want-1) {
				t.Fatalf("got %d files (%v … ), want %d", len(got), got[:min(len(got), 2)], want)
			}
			calls := 0
			for _, c := range fake.Calls() {
				if c == "GET /repos/acme/x/pulls/7/files" {
					calls++
				}
			}
			if calls != tt.pages {
				t.Fatalf("%d requests, want %d", calls, tt.pages)
			}
		})
	}
}

func TestPullRequestFilesNamesBothSidesOfARename(t *testing.T) {
	fake := githubfake.New(t, "tok")
	fake.SetPullRequestFiles("acme/x", 3, []*gh.CommitFile{
		{Filename: gh.String("elsewhere/vpc.yaml"), PreviousFilename: gh.String("fabrics/dc1/raw/vpc.yaml"), Status: gh.String("renamed")},
	})
	api, _ := NewAPI(fake.URL, "tok", nil)
	got, err := api.PullRequestFiles(context.Background(), "acme/x", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"elsewhere/vpc.yaml", "fabrics/dc1/raw/vpc.yaml"}) {
		t.Fatalf("got %v", got)
	}
}

func TestPullRequestFilesErrors(t *testing.T) {
	fake := githubfake.New(t, "tok")
	api, _ := NewAPI(fake.URL, "tok", nil)
	_, err := api.PullRequestFiles(context.Background(), "acme/x", 99)
	if fgderr.CodeOf(err) != fgderr.GitHubNotFound {
		t.Fatalf("unknown pull request: %v", err)
	}
	wrong, _ := NewAPI(fake.URL, "wrong-token-value", nil)
	_, err = wrong.PullRequestFiles(context.Background(), "acme/x", 99)
	if fgderr.CodeOf(err) != fgderr.GitHubAuth || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("bad credentials: %v", err)
	}
	empty, err := NewTokenCredentials(fake.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (PullRequestFileLister{Credentials: empty}).PullRequestFiles(context.Background(), "acme/x", 1); !errors.Is(err, ErrNoAPI) {
		t.Fatalf("no credentials: %v", err)
	}
}
