//go:build chaos

package chaos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/githubfake"
)

// The suite's shape, as the HA issue sets it.
const (
	fabricCount   = 20
	deliveryCount = 1000
	deliveryRate  = 100 // per second
	drainDeadline = 120 * time.Second
	webhookSecret = "chaos-webhook-secret"
	adminToken    = "chaos-admin-token"
	githubToken   = "chaos-github-token"
)

// delivery is one push the test made and announced.
type delivery struct {
	id      string
	fabric  string
	rawPath string // the raw file the push added
	name    string // the VPC it holds

	accepted   atomic.Bool
	acceptedAt time.Time
	syncIDs    []string
	firstAt    time.Time
	answers    []int // every HTTP status it got, redeliveries included
	latency    time.Duration
}

// ledger is the test's record of every delivery.
type ledger struct {
	mu                             sync.Mutex
	deliveries                     []*delivery
	latencies                      []time.Duration
	sent, ok2, got503, other       int
	duringReplica, okDuringReplica int
	refusedAt                      map[int]int // 503s by second into the load
}

func TestFaultSuite(t *testing.T) {
	ctx := context.Background()
	suiteStart := time.Now()
	webhookBin, workerBin := binaries(t)
	top := startTopology(t, 2)
	names := make([]string, fabricCount)
	for i := range names {
		names[i] = fmt.Sprintf("fab%02d", i)
	}
	farm := newGitFarm(t, names)
	api := githubfake.New(t, githubToken)

	// The fabrics file: one fabric per repository, pushing straight to main.
	var fabricsYAML strings.Builder
	fabricsYAML.WriteString("fabrics:\n")
	for _, n := range names {
		fmt.Fprintf(&fabricsYAML, "  - name: %s\n    repository: acme/%s\n    clone_url: %s\n    branch: main\n    path: .\n    sync_interval: 0\n    write_mode: push\n",
			n, n, farm.cloneURL(n))
	}
	fabricsFile := filepath.Join(t.TempDir(), "fabrics.yaml")
	if err := os.WriteFile(fabricsFile, []byte(fabricsYAML.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	common := map[string]string{
		"HEDGEHOG_FGD_REDIS_URL":             top.url(),
		"HEDGEHOG_FGD_REDIS_MIN_REPLICAS":    "1",
		"HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET": webhookSecret,
		"HEDGEHOG_FGD_ADMIN_TOKEN":           adminToken,
		"HEDGEHOG_FGD_GITHUB_TOKEN":          githubToken,
		"HEDGEHOG_FGD_GITHUB_API_URL":        api.URL,
		"HEDGEHOG_FGD_GIT_ALLOWED_URLS":      farm.URL + "/",
		"HEDGEHOG_FGD_FABRICS_FILE":          fabricsFile,
		"HEDGEHOG_FGD_LOG_LEVEL":             "info", // a lost sync's story is told from these logs
	}
	with := func(extra map[string]string) []string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return envList(m)
	}
	webPort := freePort(t)
	webhook := &process{name: "webhook", path: webhookBin, env: with(map[string]string{
		"HEDGEHOG_FGD_LISTEN_ADDR": fmt.Sprintf("127.0.0.1:%d", webPort)})}
	var workers []*process
	for i := 0; i < 2; i++ {
		workers = append(workers, &process{name: fmt.Sprintf("worker-%d", i), path: workerBin, env: with(map[string]string{
			"HEDGEHOG_FGD_DATA_DIR":            t.TempDir(),
			"HEDGEHOG_FGD_WORKER_POOL_SIZE":    "10",
			"HEDGEHOG_FGD_WORKER_METRICS_ADDR": fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		})})
	}
	webhook.start(t)
	for _, w := range workers {
		w.start(t)
	}
	t.Cleanup(func() {
		webhook.stop()
		for _, w := range workers {
			w.stop()
		}
		if t.Failed() {
			t.Logf("webhook output:\n%s", tail(webhook.output(), 30))
			for _, w := range workers {
				t.Logf("%s output:\n%s", w.name, tail(w.output(), 30))
			}
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", webPort)
	waitHTTP(t, base+"/readyz", 30*time.Second)
	t.Logf("set-up done in %s", time.Since(suiteStart).Round(time.Millisecond))

	led := &ledger{refusedAt: map[int]int{}}
	start := time.Now()
	faults := scheduleFaults(t, ctx, start, top, farm, workers)
	roles := &roleTimeline{}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go roles.watch(watchCtx, top, start)

	// Load: deliveryCount pushes at deliveryRate/s, each adding one raw file.
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / deliveryRate)
	for i := 0; i < deliveryCount; i++ {
		<-tick.C
		d := &delivery{id: fmt.Sprintf("chaos-%04d", i), fabric: names[i%fabricCount], name: fmt.Sprintf("v%04d", i)}
		d.rawPath = "raw/" + d.name + ".yaml"
		led.mu.Lock()
		led.deliveries = append(led.deliveries, d)
		led.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			before, after := farm.commit(t, d.fabric, map[string]string{d.rawPath: vpcYAML(i)}, "add "+d.name)
			deliverUntilAccepted(t, ctx, base, d, before, after, led, top, start)
		}()
	}
	tick.Stop()
	wg.Wait()
	<-faults
	loadDone := time.Now()
	t.Logf("load done in %s (every delivery accepted or given up)", loadDone.Sub(start).Round(time.Millisecond))

	// Drain: every accepted delivery reaches a terminal record.
	deadline := time.Now().Add(drainDeadline)
	pending := led.acceptedSyncs()
	var last []string // the syncs still pending at the latest progress line
	nextReport := time.Now()
	for len(pending) > 0 && time.Now().Before(deadline) {
		pending = terminalFilter(ctx, base, pending)
		if time.Now().After(nextReport) {
			t.Logf("%5.1fs after the load: %d accepted syncs not yet terminal", time.Since(loadDone).Seconds(), len(pending))
			nextReport = time.Now().Add(10 * time.Second)
			last = append(last[:0], pending...)
		}
		if len(pending) > 0 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	drained := time.Since(loadDone)
	// The tail of the drain, to tell what held it up.
	for i, id := range last {
		if i == 3 {
			break
		}
		t.Logf("among the last to finish: sync %s: %s", id, recordJSON(ctx, base, id))
	}
	lost := len(pending)
	owner := map[string]*delivery{}
	for _, d := range led.deliveries {
		for _, id := range d.syncIDs {
			owner[id] = d
		}
	}
	for _, id := range pending {
		d := owner[id]
		t.Errorf("sync %s of delivery %s (accepted %.2fs into the load, answers %v) did not reach a terminal record within %s: %s; held by: %s",
			id, d.id, d.acceptedAt.Sub(start).Seconds(), d.answers, drainDeadline, recordJSON(ctx, base, id), whereIs(ctx, top, id))
	}
	t.Logf("replication roles over time:\n%s", roles)
	if lost > 0 {
		for _, id := range pending {
			t.Logf("what the processes logged of sync %s:\n%s", id, linesWith(append([]*process{webhook}, workers...), id, start))
		}
	}

	// Every raw file pushed ends as a managed file; no force-push; no two
	// bot commits for one sync id.
	missing, duplicates, forced := 0, 0, 0
	for _, n := range names {
		files := farm.files(t, n)
		for _, d := range led.deliveries {
			if d.fabric != n {
				continue
			}
			if !files["managed/vpcs/"+d.name+".yaml"] || files[d.rawPath] {
				missing++
				t.Errorf("%s: %s did not end as managed/vpcs/%s.yaml", n, d.rawPath, d.name)
			}
		}
		seen := map[string]string{}
		for _, c := range farm.log(t, n) {
			for _, line := range strings.Split(c.message, "\n") {
				if id, ok := strings.CutPrefix(line, "FGD-Sync-Id: "); ok {
					if prev, dup := seen[id]; dup {
						duplicates++
						t.Errorf("%s: sync %s committed twice (%s and %s)", n, id, prev[:8], c.hash[:8])
					}
					seen[id] = c.hash
				}
			}
		}
		forced += farm.forcedUpdates(t, n)
	}
	if forced > 0 {
		t.Errorf("%d force-pushed updates of main", forced)
	}

	led.mu.Lock()
	defer led.mu.Unlock()
	sort.Slice(led.latencies, func(i, j int) bool { return led.latencies[i] < led.latencies[j] })
	pct := func(p float64) time.Duration {
		if len(led.latencies) == 0 {
			return 0
		}
		return led.latencies[int(p*float64(len(led.latencies)-1))]
	}
	availability := 100.0
	if led.duringReplica > 0 {
		availability = 100 * float64(led.okDuringReplica) / float64(led.duringReplica)
	}
	t.Logf("FAULT SUITE FIGURES\n"+
		"  deliveries sent (first tries + redeliveries): %d\n  answered 2xx: %d\n  answered 503: %d\n  other answers or errors: %d\n"+
		"  lost: %d\n  duplicate commits: %d\n  raw files not managed: %d\n  force-pushes: %d\n"+
		"  answer time p50 %s, p99 %s\n  time to drain after the load: %s\n  2xx while the master had an online replica: %.1f%% of %d",
		led.sent, led.ok2, led.got503, led.other, lost, duplicates, missing, forced,
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), drained.Round(time.Millisecond), availability, led.duringReplica)
	var seconds []int
	for sec := range led.refusedAt {
		seconds = append(seconds, sec)
	}
	sort.Ints(seconds)
	var refusals []string
	for _, sec := range seconds {
		refusals = append(refusals, fmt.Sprintf("%ds: %d", sec, led.refusedAt[sec]))
	}
	t.Logf("503s by second into the load: %s", strings.Join(refusals, ", "))
	t.Logf("why the webhook refused (its log):\n%s", refusalReasons(webhook))
	if availability < 80 {
		t.Errorf("only %.1f%% of deliveries answered 2xx while the master had an online replica; want >= 80%%", availability)
	}
}

// scheduleFaults runs the suite's faults at their times, in the background.
func scheduleFaults(t *testing.T, ctx context.Context, start time.Time, top *topology, farm *gitFarm, workers []*process) <-chan struct{} {
	done := make(chan struct{})
	at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }
	go func() {
		defer close(done)
		at(3 * time.Second)
		sc := top.sentinel()
		if err := sc.Failover(ctx, masterName).Err(); err != nil {
			t.Errorf("SENTINEL FAILOVER: %v", err)
		}
		_ = sc.Close()
		t.Logf("%5.1fs SENTINEL FAILOVER", time.Since(start).Seconds())

		at(6 * time.Second)
		if m, err := top.master(ctx); err == nil {
			m.kill9()
			t.Logf("%5.1fs kill -9 of the master %s", time.Since(start).Seconds(), m.addr())
		} else {
			t.Errorf("no master to kill: %v", err)
		}

		at(8 * time.Second)
		workers[0].kill9()
		t.Logf("%5.1fs kill -9 of %s", time.Since(start).Seconds(), workers[0].name)
		workers[0].start(t)
		t.Logf("%5.1fs %s restarted", time.Since(start).Seconds(), workers[0].name)

		at(10 * time.Second)
		farm.failFor(2 * time.Second)
		t.Logf("%5.1fs the git server answers 503 for 2s", time.Since(start).Seconds())
	}()
	return done
}

// deliverUntilAccepted sends a signed push delivery and, while it is refused,
// redelivers it under the same id, as GitHub's "Redeliver" does.
func deliverUntilAccepted(t *testing.T, ctx context.Context, base string, d *delivery, before, after string, led *ledger, top *topology, loadStart time.Time) {
	payload, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": before, "after": after, "created": false, "deleted": false, "forced": false,
		"repository": map[string]any{"full_name": "acme/" + d.fabric, "name": d.fabric, "default_branch": "main",
			"owner": map[string]any{"login": "acme"}},
		"commits":     []any{map[string]any{"id": after, "message": "add " + d.name, "added": []string{d.rawPath}, "removed": []string{}, "modified": []string{}}},
		"head_commit": map[string]any{"id": after},
		"pusher":      map[string]any{"name": "neteng"},
	})
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(payload)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	backoff := 200 * time.Millisecond
	giveUp := time.Now().Add(90 * time.Second)
	for time.Now().Before(giveUp) {
		hadReplica := top.connectedReplicas(ctx) > 0
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/github", strings.NewReader(string(payload)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", d.id)
		req.Header.Set("X-Hub-Signature-256", sig)
		sent := time.Now()
		resp, err := http.DefaultClient.Do(req)
		took := time.Since(sent)
		status := 0
		var answer struct {
			Status  string   `json:"status"`
			SyncIDs []string `json:"sync_ids"`
		}
		if err == nil {
			status = resp.StatusCode
			_ = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
		}
		led.mu.Lock()
		led.sent++
		led.latencies = append(led.latencies, took)
		if hadReplica {
			led.duringReplica++
		}
		switch {
		case status >= 200 && status < 300:
			led.ok2++
			if hadReplica {
				led.okDuringReplica++
			}
		case status == http.StatusServiceUnavailable:
			led.got503++
			led.refusedAt[int(sent.Sub(loadStart).Seconds())]++
		default:
			led.other++
		}
		d.answers = append(d.answers, status)
		if status >= 200 && status < 300 && !d.accepted.Load() {
			d.syncIDs = append(d.syncIDs, answer.SyncIDs...)
			d.acceptedAt = time.Now()
			d.accepted.Store(true)
		}
		led.mu.Unlock()
		if status >= 200 && status < 300 {
			return
		}
		time.Sleep(backoff)
		if backoff < 2*time.Second {
			backoff *= 2
		}
	}
	t.Errorf("delivery %s was never accepted: answers %v", d.id, d.answers)
}

// acceptedSyncs lists the sync ids of every accepted delivery. A delivery
// answered "duplicate" on a redelivery was accepted earlier with its ids.
func (l *ledger) acceptedSyncs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	for _, d := range l.deliveries {
		ids = append(ids, d.syncIDs...)
	}
	return ids
}

// terminalFilter returns the ids whose record is not yet terminal: a
// succeeded, partial or failed-with-a-reason record, or one coalesced into
// a terminal one.
func terminalFilter(ctx context.Context, base string, ids []string) []string {
	var out []string
	for _, id := range ids {
		if !terminal(ctx, base, id, 0) {
			out = append(out, id)
		}
	}
	return out
}

func terminal(ctx context.Context, base, id string, depth int) bool {
	if depth > 10 {
		return false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/syncs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var rec struct {
		State         string `json:"state"`
		CoalescedInto string `json:"coalesced_into"`
		Errors        []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&rec) != nil {
		return false
	}
	if rec.CoalescedInto != "" {
		return terminal(ctx, base, rec.CoalescedInto, depth+1)
	}
	switch rec.State {
	case "succeeded", "partial":
		return true
	case "failed":
		return len(rec.Errors) > 0
	}
	return false
}

// vpcYAML is a VPC that collides with no other: its own /24 and VLAN.
func vpcYAML(i int) string {
	return fmt.Sprintf(`apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: v%04d
spec:
  subnets:
    default:
      subnet: 10.%d.%d.0/24
      vlan: %d
`, i, 10+i/256, i%256, 100+i)
}

// recordJSON fetches a sync record for a failure message.
func recordJSON(ctx context.Context, base, id string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/syncs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(b)
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
