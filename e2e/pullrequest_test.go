package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/githubfake"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/store"
)

// prWebhook is the production webhook server with API credentials, so
// that it lists pull requests' files through the fake GitHub API.
func prWebhook(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	return e.startWebhook(e.vars(gitToken))
}

// pullRequestEvent is GitHub's pull_request delivery for a head of pull
// request number; head is where the head branch lives (a fork, maybe).
type pullRequestEvent struct {
	action    string
	number    int
	sha       string
	headRepo  *gh.Repository
	updatedAt time.Time
}

// deliverPullRequest sends the signed delivery and answers the sync ids of
// a 202.
func deliverPullRequest(t *testing.T, e *env, srv *httptest.Server, delivery string, ev pullRequestEvent) []string {
	t.Helper()
	base := &gh.Repository{FullName: gh.String(repository), CloneURL: gh.String(e.git.RepoURL()), Fork: gh.Bool(false)}
	if ev.headRepo == nil {
		ev.headRepo = base
	}
	body, err := json.Marshal(&gh.PullRequestEvent{
		Action: gh.String(ev.action), Number: gh.Int(ev.number), Repo: base,
		PullRequest: &gh.PullRequest{
			Number: gh.Int(ev.number), State: gh.String("open"), Title: gh.String("change the fabric"),
			UpdatedAt: &gh.Timestamp{Time: ev.updatedAt},
			Head:      &gh.PullRequestBranch{Ref: gh.String("feature"), SHA: gh.String(ev.sha), Repo: ev.headRepo},
			Base:      &gh.PullRequestBranch{Ref: gh.String("main"), SHA: gh.String(e.git.Head("main")), Repo: base},
		},
		Sender: &gh.User{Login: gh.String("contributor")},
	})
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans struct {
		Status  string   `json:"status"`
		SyncIDs []string `json:"sync_ids"`
	}
	_ = json.Unmarshal(b, &ans)
	if resp.StatusCode != http.StatusAccepted || ans.Status != "queued" || len(ans.SyncIDs) != 1 {
		t.Fatalf("pull_request delivery: %d %s", resp.StatusCode, b)
	}
	return ans.SyncIDs
}

// validateStatuses are the statuses posted on sha with context fgd-sync/validate.
func validateStatuses(e *env, sha string) []githubfake.Status {
	var out []githubfake.Status
	for _, s := range e.api.Statuses() {
		if s.SHA == sha && s.Context == jobs.ValidateStatusContext && s.Repo == repository {
			out = append(out, s)
		}
	}
	return out
}

func finalStatus(t *testing.T, e *env, sha string) githubfake.Status {
	t.Helper()
	st := validateStatuses(e, sha)
	if len(st) != 2 || st[0].State != github.StatusPending {
		t.Fatalf("statuses on %s: %+v", sha, st)
	}
	return st[1]
}

func commitFiles(names ...string) []*gh.CommitFile {
	var out []*gh.CommitFile
	for _, n := range names {
		out = append(out, &gh.CommitFile{Filename: gh.String(n), Status: gh.String("added")})
	}
	return out
}

// TestPullRequestChecks: a pull request that adds an invalid VPC gets a
// failure status naming the error and the base branch does not move; a
// synchronize that fixes it gets success; a fork's pull request is
// validated through refs/pull/N/head of the base repository, and the fork
// is never contacted.
func TestPullRequestChecks(t *testing.T) {
	e := newEnv(t, envOptions{})
	var forkHits atomic.Int64
	fork := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forkHits.Add(1)
		t.Errorf("the fork was contacted: %s %s", r.Method, r.URL)
		http.Error(w, "not here", http.StatusTeapot)
	}))
	t.Cleanup(fork.Close)
	webhook := prWebhook(t, e)
	e.startWorker(gitToken)
	ctx := context.Background()

	e.git.Commit(map[string]string{"raw/vpc-1.yaml": vpc("vpc-1", 1001)}, nil, "a first VPC")
	baseRec := e.waitRecord(e.push("delivery-base", "raw/vpc-1.yaml")[0], time.Minute)
	if baseRec.State != store.StateSucceeded || baseRec.Commit == "" {
		t.Fatalf("base sync: %+v", baseRec)
	}
	mainHead := e.git.Head("main")
	inventory, err := e.store.Inventory(ctx, e.fabric.Name, "")
	if err != nil || len(inventory) != 1 {
		t.Fatalf("inventory: %v %v", inventory, err)
	}

	// 1. A pull request adds an invalid VPC.
	bad := strings.Replace(vpc("vpc-2", 1002), "vlan: 1002", "vlan: lots", 1)
	t0 := time.Now().UTC().Truncate(time.Second)
	badHead := e.git.PullRequest(1, map[string]string{"raw/vpc-2.yaml": bad}, nil, "add vpc-2")
	e.api.SetPullRequestFiles(repository, 1, commitFiles("raw/vpc-2.yaml"))
	rec := e.waitRecord(deliverPullRequest(t, e, webhook, "delivery-pr-1", pullRequestEvent{action: "opened", number: 1, sha: badHead, updatedAt: t0})[0], time.Minute)
	if rec.Trigger != "pull_request" || rec.PullRequestNumber != 1 || rec.HeadSHA != badHead || rec.Head != badHead || !rec.ValidateOnly ||
		len(rec.Errors) != 1 || rec.Errors[0].File != "raw/vpc-2.yaml" || rec.Errors[0].Code != "FGD_1003" || rec.Commit != "" {
		t.Fatalf("record of the invalid pull request: %+v", rec)
	}
	if st := finalStatus(t, e, badHead); st.State != github.StatusFailure || !strings.Contains(st.Description, "raw/vpc-2.yaml:9 FGD_1003") {
		t.Fatalf("status of the invalid pull request: %+v", st)
	}
	if e.git.Head("main") != mainHead {
		t.Fatal("the base branch moved")
	}

	// 2. A synchronize fixes it.
	goodHead := e.git.PullRequest(1, map[string]string{"raw/vpc-2.yaml": vpc("vpc-2", 1002)}, nil, "fix the vlan")
	rec = e.waitRecord(deliverPullRequest(t, e, webhook, "delivery-pr-2", pullRequestEvent{action: "synchronize", number: 1, sha: goodHead, updatedAt: t0.Add(time.Minute)})[0], time.Minute)
	if rec.State != store.StateSucceeded || rec.HeadSHA != goodHead || len(rec.Errors) != 0 || rec.Counts.ResourcesCreated != 1 || rec.Counts.ResourcesUnchanged != 1 {
		t.Fatalf("record of the fixed pull request: %+v", rec)
	}
	if st := finalStatus(t, e, goodHead); st.State != github.StatusSuccess || !strings.Contains(st.Description, "valid: 2 resources (1 new, 0 changed, 1 unchanged)") {
		t.Fatalf("status of the fixed pull request: %+v", st)
	}

	// 3. A fork's pull request: its clone URL leads to a server that fails
	// the test if contacted.
	forkRepo := &gh.Repository{FullName: gh.String("contributor/fabric-config"), Fork: gh.Bool(true),
		CloneURL: gh.String(fork.URL + "/contributor/fabric-config.git"), GitURL: gh.String(strings.Replace(fork.URL, "http", "git", 1) + "/contributor/fabric-config.git"),
		HTMLURL: gh.String(fork.URL + "/contributor/fabric-config")}
	forkHead := e.git.PullRequest(2, map[string]string{"raw/vpc-3.yaml": vpc("vpc-3", 1003)}, nil, "add vpc-3 from a fork")
	e.api.SetPullRequestFiles(repository, 2, commitFiles("raw/vpc-3.yaml"))
	rec = e.waitRecord(deliverPullRequest(t, e, webhook, "delivery-pr-fork", pullRequestEvent{action: "opened", number: 2, sha: forkHead, headRepo: forkRepo, updatedAt: t0})[0], time.Minute)
	if rec.State != store.StateSucceeded || rec.PullRequestNumber != 2 || rec.HeadSHA != forkHead {
		t.Fatalf("record of the fork's pull request: %+v", rec)
	}
	if st := finalStatus(t, e, forkHead); st.State != github.StatusSuccess {
		t.Fatalf("status of the fork's pull request: %+v", st)
	}
	if forkHits.Load() != 0 {
		t.Fatal("the fork was contacted")
	}
	if !slices.Contains(e.api.Calls(), "GET /repos/acme/fabric-config/pulls/2/files") {
		t.Fatalf("the webhook did not list the pull request's files: %v", e.api.Calls())
	}

	// Nothing was pushed or stored by any validation.
	if e.git.Head("main") != mainHead || len(e.botCommits()) != 1 {
		t.Fatalf("the base branch moved: %s, %d bot commits", e.git.Head("main"), len(e.botCommits()))
	}
	after, err := e.store.Inventory(ctx, e.fabric.Name, "")
	if err != nil || len(after) != 1 || after[0].Name != "vpc-1" {
		t.Fatalf("the inventory changed: %+v %v", after, err)
	}
}

// TestPullRequestNewerHeadSupersedes: two synchronize deliveries wait in
// the queue; the older one ends superseded without reporting, and only
// the newer head gets a status.
func TestPullRequestNewerHeadSupersedes(t *testing.T) {
	e := newEnv(t, envOptions{})
	webhook := prWebhook(t, e)
	t0 := time.Now().UTC().Truncate(time.Second)
	older := e.git.PullRequest(3, map[string]string{"raw/vpc-4.yaml": vpc("vpc-4", 1004)}, nil, "add vpc-4")
	e.api.SetPullRequestFiles(repository, 3, commitFiles("raw/vpc-4.yaml"))
	olderID := deliverPullRequest(t, e, webhook, "delivery-older", pullRequestEvent{action: "synchronize", number: 3, sha: older, updatedAt: t0})[0]
	newer := e.git.PullRequest(3, map[string]string{"raw/vpc-4.yaml": vpc("vpc-4", 1005)}, nil, "change its vlan")
	newerID := deliverPullRequest(t, e, webhook, "delivery-newer", pullRequestEvent{action: "synchronize", number: 3, sha: newer, updatedAt: t0.Add(time.Second)})[0]

	e.startWorker(gitToken)
	olderRec, newerRec := e.waitRecord(olderID, time.Minute), e.waitRecord(newerID, time.Minute)
	if olderRec.State != store.StateSucceeded || olderRec.CoalescedInto != newerID || len(olderRec.Warnings) != 1 || olderRec.Warnings[0].Code != "FGD_3001" {
		t.Fatalf("older: %+v", olderRec)
	}
	if newerRec.State != store.StateSucceeded || newerRec.HeadSHA != newer {
		t.Fatalf("newer: %+v", newerRec)
	}
	if st := validateStatuses(e, older); len(st) != 0 {
		t.Fatalf("the superseded head got statuses: %+v", st)
	}
	if st := finalStatus(t, e, newer); st.State != github.StatusSuccess {
		t.Fatalf("newer status: %+v", st)
	}
}
