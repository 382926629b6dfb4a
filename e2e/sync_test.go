package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/store"
)

const switchYAML = `apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata:
  name: leaf-1
  annotations:
    fabric.githedgehog.com/rack: r1
spec:
  role: server-leaf
  asn: 65101
  ip: 192.168.200.8/24
  protocolIP: 172.30.8.2/32
  vtepIP: 172.30.12.0/32
  profile: vs
  vlanNamespaces:
  - default
`

// TestEndToEndAndNoLoop: raw files pushed, a signed webhook, one bot commit
// with the managed tree and trailers, a success status; then the webhook of
// the bot's own push makes no further commit.
func TestEndToEndAndNoLoop(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	userHead := e.git.Commit(map[string]string{"raw/vpcs.yaml": vpc("vpc-1", 1001) + "---\n" + vpc("vpc-2", 1002), "raw/site/switch.yaml": switchYAML}, nil, "add raw fabric")
	ids := e.push("delivery-e2e-1", "raw/vpcs.yaml", "raw/site/switch.yaml")
	rec := e.waitRecord(ids[0], time.Minute)

	if rec.State != store.StateSucceeded || rec.Commit == "" || rec.Counts.ResourcesCreated != 3 {
		t.Fatalf("record %+v", rec)
	}
	bots := e.botCommits()
	if len(bots) != 1 || bots[0].Hash != e.git.Head("main") || bots[0].Hash != rec.Commit || bots[0].Parents[0] != userHead {
		t.Fatalf("bot commits %+v, want one on top of %s", bots, userHead)
	}
	for _, trailer := range []string{"FGD-Sync-Id: " + ids[0], "FGD-Trigger: webhook"} {
		if !strings.Contains(bots[0].Message, trailer) {
			t.Fatalf("commit message lacks %q:\n%s", trailer, bots[0].Message)
		}
	}
	tree := e.git.Tree("main")
	if got := gittest.Files(tree, "managed/"); strings.Join(got, ",") != "managed/switches/leaf-1.yaml,managed/vpcs/vpc-1.yaml,managed/vpcs/vpc-2.yaml" {
		t.Fatalf("managed tree %v", got)
	}
	if got := gittest.Files(tree, "raw/"); len(got) != 0 {
		t.Fatalf("raw files left: %v", got)
	}
	if !strings.Contains(tree["managed/switches/leaf-1.yaml"], "fabric.githedgehog.com/rack: r1") {
		t.Fatalf("switch:\n%s", tree["managed/switches/leaf-1.yaml"])
	}
	var stages []string
	for _, s := range rec.Stages {
		stages = append(stages, s.Name)
	}
	if strings.Join(stages, ",") != "fetch,ingest,commit,push,report" {
		t.Fatalf("stages %v", stages)
	}
	if !hasStatus(e, userHead, "success") || !hasStatus(e, rec.Commit, "success") {
		t.Fatalf("statuses %+v", e.api.Statuses())
	}

	// The bot's own push comes back as a webhook: nothing more to commit.
	loop := e.push("delivery-e2e-2", "managed/vpcs/vpc-1.yaml")
	rec2 := e.waitRecord(loop[0], time.Minute)
	if rec2.State != store.StateSucceeded || rec2.Commit != "" || len(e.botCommits()) != 1 {
		t.Fatalf("loop: record %+v, %d bot commits", rec2, len(e.botCommits()))
	}
}

func hasStatus(e *env, sha, state string) bool {
	for _, s := range e.api.Statuses() {
		if s.SHA == sha && s.State == state && s.Repo == repository && s.Context == "fgd-sync/dc1" {
			return true
		}
	}
	return false
}

// TestBadFile: the bad file stays, the sync is partial, the failure status
// names the file, and the other files are ingested.
func TestBadFile(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	bad := strings.Replace(vpc("vpc-bad", 1003), "vlan: 1003", "vlan: lots", 1)
	head := e.git.Commit(map[string]string{"raw/good.yaml": vpc("vpc-good", 1001), "raw/bad.yaml": bad}, nil, "one good, one bad")
	ids := e.push("delivery-bad-1", "raw/good.yaml", "raw/bad.yaml")
	rec := e.waitRecord(ids[0], time.Minute)
	if rec.State != store.StatePartial || len(rec.Errors) != 1 || rec.Errors[0].File != "raw/bad.yaml" || rec.Errors[0].Line != 9 || rec.Errors[0].Code != "FGD_1003" {
		t.Fatalf("record %+v", rec)
	}
	tree := e.git.Tree("main")
	if tree["raw/bad.yaml"] != bad {
		t.Fatal("the bad file did not stay byte for byte")
	}
	if _, ok := tree["managed/vpcs/vpc-good.yaml"]; !ok {
		t.Fatal("the good file was not ingested")
	}
	found := false
	for _, s := range e.api.Statuses() {
		found = found || (s.SHA == head && s.State == "failure" && strings.Contains(s.Description, "raw/bad.yaml"))
	}
	if !found {
		t.Fatalf("no failure status naming raw/bad.yaml: %+v", e.api.Statuses())
	}
}

// TestRaceWithExternalCommit: a commit lands between fetch and push; the
// ingest still lands, on top of it, and nothing is force-pushed.
func TestRaceWithExternalCommit(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-race", 1001)}, nil, "raw")
	var external string
	e.git.BeforeNextPush(func() {
		external = e.git.Commit(map[string]string{"docs/notes.md": "someone else was here\n"}, nil, "external change")
	})
	ids := e.push("delivery-race-1", "raw/vpc.yaml")
	rec := e.waitRecord(ids[0], time.Minute)
	if rec.State != store.StateSucceeded || external == "" {
		t.Fatalf("record %+v external %q", rec, external)
	}
	log := e.git.Log("main")
	if log[0].Author != "fgd-sync" || log[0].Parents[0] != external {
		t.Fatalf("the ingest is not on top of the external commit: %+v", log[:2])
	}
	tree := e.git.Tree("main")
	if tree["docs/notes.md"] == "" || tree["managed/vpcs/vpc-race.yaml"] == "" {
		t.Fatalf("tree %v", gittest.Files(tree, ""))
	}
	if len(e.botCommits()) != 1 {
		t.Fatalf("%d bot commits", len(e.botCommits()))
	}
}

// TestTransientGitErrors: the git server answers 500 twice, then works.
func TestTransientGitErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-retry", 1001)}, nil, "raw")
	e.git.FailNext(http.StatusInternalServerError, http.StatusInternalServerError)
	e.startWorker(gitToken)
	ids := e.push("delivery-500-1", "raw/vpc.yaml")
	rec := e.waitRecord(ids[0], 2*time.Minute)
	if rec.State != store.StateSucceeded || rec.Attempt != 3 || rec.Commit == "" {
		t.Fatalf("record %+v, want success on attempt 3", rec)
	}
}

// TestRateLimitedAPI: GitHub answers 403 with a rate-limit reset 2 s ahead;
// the sync waits for the reset and succeeds.
func TestRateLimitedAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-rl", 1001)}, nil, "raw")
	e.api.RateLimitNext(1, 2*time.Second)
	e.startWorker(gitToken)
	ids := e.push("delivery-rl-1", "raw/vpc.yaml")
	rec := e.waitRecord(ids[0], 2*time.Minute)
	if rec.State != store.StateSucceeded || rec.Attempt < 2 {
		t.Fatalf("record %+v, want success after a retry", rec)
	}
	if !hasStatus(e, e.git.Head("main"), "success") || len(e.botCommits()) != 1 {
		t.Fatalf("statuses %+v, bot commits %d", e.api.Statuses(), len(e.botCommits()))
	}
}

// TestAuthFailureIsPermanent: git answers 401; no retry, FGD_4002, and the
// token appears nowhere.
func TestAuthFailureIsPermanent(t *testing.T) {
	e := newEnv(t, envOptions{gitToken: "the-right-token-0000"})
	e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-auth", 1001)}, nil, "raw")
	e.startWorker(gitToken) // not the token the server wants
	ids := e.push("delivery-401-1", "raw/vpc.yaml")
	rec := e.waitRecord(ids[0], time.Minute)
	if rec.State != store.StateFailed || rec.Attempt != 1 || len(rec.Errors) == 0 || rec.Errors[0].Code != "FGD_4002" {
		t.Fatalf("record %+v", rec)
	}
	info := e.waitTaskState(ids[0], asynq.TaskStateArchived, 30*time.Second)
	if info.Retried != 0 {
		t.Fatalf("task %+v, want archived without retry", info)
	}
	raw, _ := json.Marshal(rec)
	if strings.Contains(string(raw), gitToken) || strings.Contains(info.LastErr, gitToken) {
		t.Fatal("the token is in the record or the task error")
	}
}

// TestPullRequestMode opens a pull request and leaves the base branch alone.
func TestPullRequestMode(t *testing.T) {
	e := newEnv(t, envOptions{writeMode: "pull-request"})
	e.startWorker(gitToken)
	head := e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-pr", 1001)}, nil, "raw")
	ids := e.push("delivery-pr-1", "raw/vpc.yaml")
	rec := e.waitRecord(ids[0], time.Minute)
	if rec.State != store.StateSucceeded || rec.PullRequest == "" {
		t.Fatalf("record %+v", rec)
	}
	if e.git.Head("main") != head {
		t.Fatal("pull-request mode pushed to the base branch")
	}
	prs := e.api.PullRequests()
	if len(prs) != 1 || prs[0].GetHead().GetRef() != "fgd/sync-"+ids[0] || prs[0].GetBase().GetRef() != "main" {
		t.Fatalf("pull requests %+v", prs)
	}
	if tree := e.git.Tree("fgd/sync-" + ids[0]); tree["managed/vpcs/vpc-pr.yaml"] == "" {
		t.Fatal("the pull request branch lacks the managed file")
	}

	// The next sync updates the open pull request instead of opening another.
	e.git.Commit(map[string]string{"raw/vpc2.yaml": vpc("vpc-pr-2", 1002)}, nil, "more raw")
	ids2 := e.push("delivery-pr-2", "raw/vpc2.yaml")
	if rec := e.waitRecord(ids2[0], time.Minute); rec.State != store.StateSucceeded || rec.PullRequest != prs[0].GetHTMLURL() {
		t.Fatalf("second record %+v", rec)
	}
	if prs := e.api.PullRequests(); len(prs) != 1 {
		t.Fatalf("%d pull requests, want the one updated", len(prs))
	}
	tree := e.git.Tree("fgd/sync-" + ids[0])
	if tree["managed/vpcs/vpc-pr.yaml"] == "" || tree["managed/vpcs/vpc-pr-2.yaml"] == "" {
		t.Fatalf("the pull request branch was not updated: %v", gittest.Files(tree, "managed/"))
	}
	if e.git.HasBranch("fgd/sync-" + ids2[0]) {
		t.Fatal("a second fgd branch was pushed")
	}
}

// TestConcurrentPushesTwoWorkers: 10 pushes in quick succession, 2 worker
// processes. Syncs of the fabric never overlap, the final tree is right, and
// coalescing makes fewer bot commits than pushes.
func TestConcurrentPushesTwoWorkers(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startProcess(gitToken)
	e.startProcess(gitToken)
	var ids []string
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("raw/vpc-%02d.yaml", i)
		e.git.Commit(map[string]string{name: vpc(fmt.Sprintf("vpc-%02d", i), 1100+i)}, nil, "push "+name)
		ids = append(ids, e.push(fmt.Sprintf("delivery-conc-%02d", i), name)...)
	}
	for _, id := range ids {
		e.waitRecord(id, 3*time.Minute)
	}
	e.waitIdle(3 * time.Minute)

	// Every sync that ran, follow-ups included.
	recs, err := e.store.ListRecords(context.Background(), "dc1", 100)
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		id         string
		start, end time.Time
	}
	var ran []span
	for _, r := range recs {
		if !terminal(r.State) {
			t.Fatalf("record %s is %s", r.ID, r.State)
		}
		if r.CoalescedInto == "" && r.StartedAt != nil {
			ran = append(ran, span{r.ID, *r.StartedAt, *r.FinishedAt})
		}
	}
	sort.Slice(ran, func(i, j int) bool { return ran[i].start.Before(ran[j].start) })
	for i := 1; i < len(ran); i++ {
		if ran[i].start.Before(ran[i-1].end) {
			t.Fatalf("syncs %s and %s overlap: %v–%v and %v–%v", ran[i-1].id, ran[i].id, ran[i-1].start, ran[i-1].end, ran[i].start, ran[i].end)
		}
	}
	tree := e.git.Tree("main")
	if raw := gittest.Files(tree, "raw/"); len(raw) != 0 {
		t.Fatalf("raw files left: %v", raw)
	}
	if managed := gittest.Files(tree, "managed/vpcs/"); len(managed) != 10 {
		t.Fatalf("managed %v", managed)
	}
	bots := len(e.botCommits())
	t.Logf("10 pushes, %d syncs ran, %d bot commits", len(ran), bots)
	if bots >= 10 || bots == 0 {
		t.Fatalf("%d bot commits for 10 pushes; triggers were not coalesced", bots)
	}
}

// TestWorkerKilledMidSync: a worker is SIGKILLed while its push is in
// flight; another worker completes the sync after the lease runs out, with
// exactly one ingest commit and no half-written tree on the remote.
func TestWorkerKilledMidSync(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.git.Commit(map[string]string{"raw/a.yaml": vpc("vpc-a", 1001), "raw/b.yaml": vpc("vpc-b", 1002)}, nil, "raw")
	first := e.startProcess(gitToken)
	inPush := make(chan struct{})
	release := make(chan struct{})
	e.git.BeforeNextPush(func() {
		close(inPush)
		<-release
	})
	ids := e.push("delivery-crash-1", "raw/a.yaml", "raw/b.yaml")
	select {
	case <-inPush:
	case <-time.After(time.Minute):
		t.Fatal("the first worker never pushed")
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if r, _ := e.store.GetRecord(context.Background(), ids[0]); r == nil || r.State != store.StateRunning {
		t.Fatalf("the killed sync should be left running: %+v", r)
	}
	// The dead worker's push is served now: whether git completes it or not
	// (its pack may have arrived whole), the ref moves atomically or not at
	// all.
	close(release)

	e.startProcess(gitToken)
	// Once the dead run's lease has expired, the new worker hands the orphan
	// to a follow-up sync (or asynq's recoverer runs it again first).
	rec := e.waitRecord(ids[0], 3*time.Minute)
	final := rec
	switch {
	case rec.CoalescedInto != "":
		final = e.waitRecord(rec.CoalescedInto, 3*time.Minute)
	case rec.Attempt < 2:
		t.Fatalf("record %+v: neither handed to a follow-up nor run again", rec)
	}
	if rec.State != store.StateSucceeded || final.State != store.StateSucceeded {
		t.Fatalf("record %+v, final %+v", rec, final)
	}
	bots := e.botCommits()
	tree := e.git.Tree("main")
	if len(bots) != 1 || tree["managed/vpcs/vpc-a.yaml"] == "" || tree["managed/vpcs/vpc-b.yaml"] == "" || len(gittest.Files(tree, "raw/")) != 0 {
		t.Fatalf("%d bot commits, tree %v", len(bots), gittest.Files(tree, ""))
	}
	// The one bot commit is the final sync's, or the dead run's push that
	// git completed (then the follow-up found nothing left to do).
	deadRunsPush := final.Commit == "" && strings.Contains(bots[0].Message, "FGD-Sync-Id: "+ids[0])
	if final.Commit != bots[0].Hash && !deadRunsPush {
		t.Fatalf("bot commit %s (%q), final record names %q", bots[0].Hash, bots[0].Message, final.Commit)
	}
}

// TestValidateOnly runs fetch and ingest only: the record has the counts and
// errors, and nothing is committed or reported.
func TestValidateOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	head := e.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-v", 1001)}, nil, "raw")
	task, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "validate-1", Fabric: "dc1", Trigger: jobs.TriggerManual,
		Options: jobs.SyncOptions{ValidateOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(e.rdb).Enqueue(task); err != nil {
		t.Fatal(err)
	}
	rec := e.waitRecord("validate-1", time.Minute)
	var stages []string
	for _, s := range rec.Stages {
		stages = append(stages, s.Name)
	}
	if rec.State != store.StateSucceeded || rec.Counts.ResourcesCreated != 1 || rec.Commit != "" || strings.Join(stages, ",") != "fetch,ingest" || !rec.ValidateOnly {
		t.Fatalf("record %+v", rec)
	}
	if e.git.Head("main") != head || len(e.api.Statuses()) != 0 {
		t.Fatal("validate_only changed the branch or reported")
	}
}

// TestRedisRestartUnderWorker: Redis goes away and comes back (empty, as a
// Redis without persistence does); the worker reconnects on its own and
// syncs the next push.
func TestRedisRestartUnderWorker(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	e.git.Commit(map[string]string{"raw/a.yaml": vpc("vpc-a", 1001)}, nil, "raw")
	e.waitRecord(e.push("delivery-restart-1", "raw/a.yaml")[0], time.Minute)

	e.redis.Stop()
	e.redis.Start()
	e.git.Commit(map[string]string{"raw/b.yaml": vpc("vpc-b", 1002)}, nil, "more")
	deadline := time.Now().Add(time.Minute)
	var ids []string
	for {
		var err error
		if ids, err = pushFor(e, repository, "delivery-restart-2", e.git.Head("main"), "raw/b.yaml"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook after the restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rec := e.waitRecord(ids[0], time.Minute); rec.State != store.StateSucceeded || e.git.Tree("main")["managed/vpcs/vpc-b.yaml"] == "" {
		t.Fatalf("after the restart: %+v", rec)
	}
}

// TestSyncTimeoutIsRetried: a sync over its timeout_seconds is recorded as
// retrying with FGD_3002, and the retry succeeds.
func TestSyncTimeoutIsRetried(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startWorker(gitToken)
	e.git.Commit(map[string]string{"raw/a.yaml": vpc("vpc-a", 1001)}, nil, "raw")
	release := make(chan struct{})
	e.git.BeforeNextPush(func() { <-release })
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	task, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "slow-1", Fabric: "dc1", Trigger: jobs.TriggerManual,
		Options: jobs.SyncOptions{TimeoutSeconds: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(e.rdb).Enqueue(task); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.store.GetRecord(context.Background(), "slow-1")
		if err == nil && r.State == store.StateRetrying && len(r.Errors) > 0 && r.Errors[len(r.Errors)-1].Code == "FGD_3002" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retrying record with FGD_3002: %+v %v", r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	// The first attempt's push may still land after its timeout; either
	// way there is one ingest commit, and the record names it.
	rec := e.waitRecord("slow-1", time.Minute)
	if bots := e.botCommits(); rec.State != store.StateSucceeded || rec.Attempt < 2 || len(bots) != 1 || rec.Commit != bots[0].Hash {
		t.Fatalf("record %+v, bot commits %+v", rec, bots)
	}
}
