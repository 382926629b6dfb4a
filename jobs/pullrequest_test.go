package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/store"
)

// pullRemote adds GitHub's refs/pull/<n>/head to a fakeRemote: each pull
// request's head and its files, which the branch never sees.
type pullRemote struct {
	*fakeRemote
	mu      sync.Mutex
	pulls   map[int]*fakeCheckout
	fetched []string // cache keys opened for pull requests
}

func newPullRemote(r *fakeRemote) *pullRemote {
	return &pullRemote{fakeRemote: r, pulls: map[int]*fakeCheckout{}}
}

// PullRequest makes the pull request's head: the branch's files with
// these changes, in a new commit.
func (p *pullRemote) PullRequest(number int, writes map[string]string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fakeRemote.mu.Lock()
	defer p.fakeRemote.mu.Unlock()
	files := maps.Clone(p.fakeRemote.files)
	if prev, ok := p.pulls[number]; ok {
		files = maps.Clone(prev.files)
	}
	maps.Copy(files, writes)
	sha := p.fakeRemote.newSHA(fmt.Sprintf("pull %d", number))
	p.pulls[number] = &fakeCheckout{r: p.fakeRemote, base: sha, head: sha, files: files}
	return sha
}

func (p *pullRemote) OpenPullRequest(_ context.Context, key, _, _ string, number int, _ string) (PullRequestCheckout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fetched = append(p.fetched, key)
	co, ok := p.pulls[number]
	if !ok {
		return nil, &fgderr.Error{Code: fgderr.GitHubNotFound, Msg: "no such pull request"}
	}
	return &fakeCheckout{r: co.r, base: co.head, head: co.head, files: maps.Clone(co.files)}, nil
}

func (e *syncEnv) runPullRequest(ctx context.Context, syncID string, pr PullRequestTarget, received time.Time) error {
	task, err := NewSyncTask(SyncPayload{SyncID: syncID, Fabric: e.fabric.Name, Trigger: TriggerPullRequest, DeliveryID: "d-" + syncID,
		CreatedAt: received, PullRequest: &pr})
	if err != nil {
		return err
	}
	return e.h.HandleSyncTask(ctx, task)
}

func (g *fakeGitHub) statusesOn(sha string) []postedStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []postedStatus
	for _, s := range g.statuses {
		if s.SHA == sha {
			out = append(out, s)
		}
	}
	return out
}

func (g *fakeGitHub) checkRunsOn(sha string) []postedCheckRun {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []postedCheckRun
	for _, c := range g.checkRuns {
		if c.SHA == sha {
			out = append(out, c)
		}
	}
	return out
}

// TestPullRequestValidation: the head of a pull request is validated and
// reported on, and nothing is written anywhere.
func TestPullRequestValidation(t *testing.T) {
	bad := strings.Replace(vpcYAML("vpc-bad", 1003), "vlan: 1003", "vlan: lots", 1)
	tests := []struct {
		name       string
		writes     map[string]string
		state      string // final commit status
		desc       string // in the status description
		conclusion string
		errors     int
	}{
		{"valid VPC", map[string]string{"fab/raw/vpc.yaml": vpcYAML("vpc-1", 1001)}, github.StatusSuccess, "valid: 1 resources (1 new, 0 changed, 0 unchanged)", "success", 0},
		{"invalid VPC", map[string]string{"fab/raw/vpc.yaml": bad}, github.StatusFailure, "raw/vpc.yaml:9 FGD_1003", "failure", 1},
		{"one good, one bad", map[string]string{"fab/raw/good.yaml": vpcYAML("vpc-2", 1002), "fab/raw/bad.yaml": bad}, github.StatusFailure, "1 file(s) rejected; raw/bad.yaml:9 FGD_1003", "failure", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSyncEnv(t, newTestStore(t), fabrics.Fabric{}, map[string]string{"fab/README.md": "x"})
			remote := newPullRemote(e.remote)
			e.h.Repos = remote
			branchHead := e.remote.Head()
			head := remote.PullRequest(4, tt.writes)
			if err := e.runPullRequest(context.Background(), "pr-sync", PullRequestTarget{Number: 4, HeadSHA: head, UpdatedAt: time.Now()}, time.Now()); err != nil {
				t.Fatal(err)
			}
			st := e.gh.statusesOn(head)
			if len(st) != 2 || st[0].State != github.StatusPending || st[1].State != tt.state || !strings.Contains(st[1].Description, tt.desc) {
				t.Fatalf("statuses on the head: %+v", st)
			}
			if runs := e.gh.checkRunsOn(head); len(runs) != 1 || runs[0].Conclusion != tt.conclusion {
				t.Fatalf("check runs: %+v", runs)
			}
			rec := e.record(t, "pr-sync")
			if rec.Trigger != "pull_request" || rec.PullRequestNumber != 4 || rec.HeadSHA != head || rec.Head != head || !rec.ValidateOnly || len(rec.Errors) != tt.errors || rec.Commit != "" {
				t.Fatalf("record %+v", rec)
			}
			pushed, branches := e.remote.Pushed()
			if len(pushed) != 0 || len(branches) != 0 || e.remote.Head() != branchHead {
				t.Fatalf("something was pushed: %v %v", pushed, branches)
			}
			if inv, err := e.store.Inventory(context.Background(), e.fabric.Name, ""); err != nil || len(inv) != 0 {
				t.Fatalf("the inventory was written: %v %v", inv, err)
			}
			if len(remote.opened) != 0 || len(remote.fetched) != 1 || !strings.HasPrefix(remote.fetched[0], "dc1-") {
				t.Fatalf("clones: branch %v, pull requests %v", remote.opened, remote.fetched)
			}
		})
	}
}

// TestPullRequestSuperseded: a validation whose pull request got a newer
// head reports nothing and names the validation that covers it, whether
// it learns so before fetching or from the fetched ref; a ref that lags
// behind the announced head is looked at again later.
func TestPullRequestSuperseded(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, newTestStore(t), fabrics.Fabric{}, map[string]string{"fab/README.md": "x"})
	remote := newPullRemote(e.remote)
	e.h.Repos = remote
	t0 := time.Now().UTC().Truncate(time.Second)

	older := remote.PullRequest(5, map[string]string{"fab/raw/vpc.yaml": vpcYAML("vpc-1", 1001)})
	newer := remote.PullRequest(5, map[string]string{"fab/raw/vpc.yaml": vpcYAML("vpc-1", 1002)})
	olderPR := PullRequestTarget{Number: 5, HeadSHA: older, UpdatedAt: t0}
	newerPR := PullRequestTarget{Number: 5, HeadSHA: newer, UpdatedAt: t0.Add(time.Minute)}

	// The older delivery runs first: the ref is already at the newer head,
	// whose delivery has not been seen. It waits for GitHub rather than
	// report on a head it was not asked about.
	err := e.runPullRequest(ctx, "older", olderPR, t0)
	if transient, after := fgderr.IsTransient(err); !transient || after != lagRetry {
		t.Fatalf("older, before the newer was announced: %v", err)
	}
	if rec := e.record(t, "older"); rec.State != store.StateRetrying {
		t.Fatalf("older: %+v", rec)
	}
	// The newer one runs and reports.
	if err := e.runPullRequest(ctx, "newer", newerPR, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The older one's retry ends superseded, without reporting.
	if err := e.runPullRequest(ctx, "older", olderPR, t0); err != nil {
		t.Fatal(err)
	}
	rec := e.record(t, "older")
	if rec.State != store.StateSucceeded || rec.CoalescedInto != "newer" || len(rec.Warnings) != 1 || rec.Warnings[0].Code != fgderr.SyncInProgress {
		t.Fatalf("older: %+v", rec)
	}
	if st := e.gh.statusesOn(older); len(st) != 0 {
		t.Fatalf("the superseded head got statuses: %+v", st)
	}
	if st := e.gh.statusesOn(newer); len(st) != 2 || st[1].State != github.StatusSuccess {
		t.Fatalf("the newer head: %+v", st)
	}
	// An older delivery arriving after the newer one ran never fetches.
	fetched := len(remote.fetched)
	if err := e.runPullRequest(ctx, "older-redelivered", olderPR, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if len(remote.fetched) != fetched || e.record(t, "older-redelivered").CoalescedInto != "newer" {
		t.Fatal("a superseded delivery fetched")
	}
}

func TestPullRequestPayloadIsChecked(t *testing.T) {
	sha := strings.Repeat("a", 40)
	tests := []struct {
		name string
		pr   *PullRequestTarget
	}{
		{"no pull request", nil},
		{"number zero", &PullRequestTarget{HeadSHA: sha}},
		{"short sha", &PullRequestTarget{Number: 1, HeadSHA: "abc123"}},
		{"sha with an option", &PullRequestTarget{Number: 1, HeadSHA: "--upload-pack=x" + sha[:25]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSyncTask(SyncPayload{SyncID: "x", Fabric: "dc1", Trigger: TriggerPullRequest, PullRequest: tt.pr})
			if !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := NewSyncTask(SyncPayload{SyncID: "x", Fabric: "dc1", Trigger: TriggerPullRequest, PullRequest: &PullRequestTarget{Number: 1, HeadSHA: sha}}); err != nil {
		t.Fatal(err)
	}
}

// TestPruneKeepsThePullRequestClone: a registered fabric's pull-request
// clone is as current as its branch clone; a deleted fabric's goes.
func TestPruneKeepsThePullRequestClone(t *testing.T) {
	dir := t.TempDir()
	url := "https://github.com/acme/fab.git"
	dc1 := fabrics.Fabric{Name: "dc1", Repository: "acme/fab", Branch: "main"}
	keep := []string{gitcache.CacheKey("dc1", url, "main"), gitcache.PullRequestCacheKey("dc1", url)}
	gone := []string{gitcache.PullRequestCacheKey("old", url), gitcache.PullRequestCacheKey("dc1", "https://github.com/acme/moved.git")}
	for _, k := range append(slices.Clone(keep), gone...) {
		if err := os.MkdirAll(filepath.Join(dir, k, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := &SyncHandler{Logger: discardLogger(), Store: newTestStore(t), Repos: GitCache{RepoCache: &gitcache.RepoCache{Dir: dir}}}
	removed := h.CachePruner().Prune(context.Background(), []fabrics.Fabric{dc1})
	slices.Sort(removed)
	slices.Sort(gone)
	if !slices.Equal(removed, gone) {
		t.Fatalf("removed %v, want %v", removed, gone)
	}
	for _, k := range keep {
		if _, err := os.Stat(filepath.Join(dir, k)); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
}
