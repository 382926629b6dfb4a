package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
)

const adminToken = "admin-token-for-e2e-0123456789"

// adminEnv is env with an empty registry: the production webhook server
// (admin API and Asynqmon included), a second one with a read-only
// dashboard, and a production worker that re-reads the schedule quickly.
type adminEnv struct {
	*env
	reg      *registry.Registry
	server   *httptest.Server
	dataDir  string
	readOnly *httptest.Server // Asynqmon in read-only mode
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := newEnv(t, envOptions{emptyRegistry: true})
	a := &adminEnv{env: e, reg: registry.New(e.rdb, ""), server: e.webhook}
	cfg := e.cfg(gitToken)
	a.dataDir = cfg.DataDir
	e.startWorkerWith(cfg, func(w *app.Worker) { w.ScheduleRefresh = 300 * time.Millisecond })
	ro := e.vars("")
	ro[config.VarDashboardReadOnly] = "true"
	a.readOnly = e.startWebhook(ro)
	return a
}

// call sends an admin API request and decodes the answer.
func (a *adminEnv) call(method, path string, body any, token string) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, a.server.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (a *adminEnv) fabricBody(name string, extra map[string]any) map[string]any {
	b := map[string]any{"name": name, "repository": repository, "clone_url": a.git.RepoURL(), "sync_interval": "0"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestRegistryValidation(t *testing.T) {
	a := newAdminEnv(t)
	if st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", map[string]any{"path": "fabrics/dc1"}), adminToken); st != 201 {
		t.Fatalf("valid fabric: %d %v", st, out)
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"name not a DNS label", a.fabricBody("DC_2", nil), 400, "FGD_2001"},
		{"repository not owner/name", a.fabricBody("dc2", map[string]any{"repository": "nope"}), 400, "FGD_2001"},
		{"path escapes", a.fabricBody("dc2", map[string]any{"path": "../x"}), 400, "FGD_2002"},
		{"absolute path", a.fabricBody("dc2", map[string]any{"path": "/etc"}), 400, "FGD_2002"},
		{"bad branch", a.fabricBody("dc2", map[string]any{"branch": "a..b"}), 400, "FGD_2001"},
		{"bad write mode", a.fabricBody("dc2", map[string]any{"write_mode": "force"}), 400, "FGD_2001"},
		{"bad interval", a.fabricBody("dc2", map[string]any{"sync_interval": "often"}), 400, "FGD_1003"},
		{"unknown key", a.fabricBody("dc2", map[string]any{"colour": "blue"}), 400, "FGD_1003"},
		{"wrong type", a.fabricBody("dc2", map[string]any{"branch": 7}), 400, "FGD_1003"},
		{"malformed JSON", `{"name": "dc2",`, 400, "FGD_6001"},
		{"overlap", a.fabricBody("dc2", map[string]any{"path": "fabrics"}), 400, "FGD_2001"},
		{"same name again", a.fabricBody("dc1", map[string]any{"path": "other"}), 409, "FGD_1005"},
		{"body over 1 MiB", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "FGD_1006"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, out := a.call("POST", "/api/v1/fabrics", tc.body, adminToken)
			if st != tc.status || errCode(out) != tc.code {
				t.Fatalf("%d %v, want %d %s", st, out, tc.status, tc.code)
			}
		})
	}
	if st, out := a.call("POST", "/api/v1/fabrics/dc1/sync", `{"options":{"validate_only":"yes"}}`, adminToken); st != 400 || errCode(out) != "FGD_1003" {
		t.Fatalf("sync option of the wrong type: %d %v", st, out)
	}
	if st, out := a.call("POST", "/api/v1/fabrics/dc1/sync", `{"options":{"dry_run":true}}`, adminToken); st != 400 || errCode(out) != "FGD_1003" {
		t.Fatalf("unknown sync option: %d %v", st, out)
	}
	if st, out := a.call("GET", "/api/v1/fabrics/nope", nil, adminToken); st != 404 || errCode(out) != "FGD_6004" {
		t.Fatalf("unknown fabric: %d %v", st, out)
	}
}

func TestAdminAuth(t *testing.T) {
	a := newAdminEnv(t)
	for _, tok := range []string{"", "wrong-token"} {
		if st, out := a.call("GET", "/api/v1/fabrics", nil, tok); st != 401 || errCode(out) != "FGD_6002" {
			t.Fatalf("token %q: %d %v", tok, st, out)
		}
	}
	if st, _ := a.call("GET", "/api/v1/fabrics", nil, adminToken); st != 200 {
		t.Fatalf("with the token: %d", st)
	}
	get := func(base, path string, auth bool) *http.Response {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth {
			req.SetBasicAuth("anyone", adminToken)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get(a.server.URL, "/monitoring/", false); r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("monitoring without credentials: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	for _, p := range []string{"/monitoring/", "/monitoring/api/queues"} {
		if r := get(a.server.URL, p, true); r.StatusCode != 200 {
			t.Fatalf("%s with credentials: %d", p, r.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", a.readOnly.URL+"/monitoring/api/queues/fgd:pause", nil)
	req.SetBasicAuth("anyone", adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode == 401 {
		t.Fatalf("read-only dashboard accepted a POST: %d", resp.StatusCode)
	}
}

// TestFabricCreated: creating a fabric on a repository that already holds
// raw YAML makes exactly one init commit and the ingest; creating it again
// answers 409; a fabric on an initialized repository commits nothing.
func TestFabricCreated(t *testing.T) {
	a := newAdminEnv(t)
	a.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw before fgd-sync")
	st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", nil), adminToken)
	if st != 201 {
		t.Fatalf("create: %d %v", st, out)
	}
	rec := a.waitRecord(out["sync_id"].(string), time.Minute)
	if rec.State != store.StateSucceeded || rec.Trigger != "fabric_created" {
		t.Fatalf("record %+v", rec)
	}
	var inits, ingests int
	for _, c := range a.botCommits() {
		switch {
		case strings.Contains(c.Message, "initialize the FGD structure"):
			inits++
		case strings.Contains(c.Message, "ingest raw/"):
			ingests++
		}
	}
	tree := a.git.Tree("main")
	if inits != 1 || ingests != 1 || tree[".hnp/manifest.yaml"] == "" || tree["managed/vpcs/vpc-1.yaml"] == "" || tree["raw/vpc.yaml"] != "" {
		t.Fatalf("%d init and %d ingest commits; tree %v", inits, ingests, gittest.Files(tree, ""))
	}
	if st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", nil), adminToken); st != 409 {
		t.Fatalf("second create: %d %v", st, out)
	}
	// Re-created on the now initialized repository: no commit.
	if st, _ := a.call("DELETE", "/api/v1/fabrics/dc1", nil, adminToken); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	head := a.git.Head("main")
	st, out = a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", nil), adminToken)
	if st != 201 {
		t.Fatalf("re-create: %d %v", st, out)
	}
	if rec := a.waitRecord(out["sync_id"].(string), time.Minute); rec.State != store.StateSucceeded || rec.Commit != "" || a.git.Head("main") != head {
		t.Fatalf("init of an initialized repository committed: %+v", rec)
	}
}

// TestManualSync: 202 with an id; a second request while the first runs
// answers 409 FGD_3001 with the first id; fgdctl sync --wait exits 0 and
// the record shows the stages, counts and commit.
func TestManualSync(t *testing.T) {
	a := newAdminEnv(t)
	if st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", nil), adminToken); st != 201 {
		t.Fatalf("create: %d %v", st, out)
	} else {
		a.waitRecord(out["sync_id"].(string), time.Minute)
	}
	a.git.Commit(map[string]string{"raw/a.yaml": vpc("vpc-a", 1001)}, nil, "raw")
	inPush, release := make(chan struct{}), make(chan struct{})
	a.git.BeforeNextPush(func() { close(inPush); <-release })
	st, out := a.call("POST", "/api/v1/fabrics/dc1/sync", map[string]any{"options": map[string]any{}}, adminToken)
	if st != 202 || out["sync_id"] == "" {
		t.Fatalf("manual sync: %d %v", st, out)
	}
	first := out["sync_id"].(string)
	select {
	case <-inPush:
	case <-time.After(time.Minute):
		t.Fatal("the first sync never pushed")
	}
	st, out = a.call("POST", "/api/v1/fabrics/dc1/sync", nil, adminToken)
	e, _ := out["error"].(map[string]any)
	if st != 409 || e["code"] != "FGD_3001" || e["sync_id"] != first {
		t.Fatalf("second sync while the first runs: %d %v, want 409 FGD_3001 with %s", st, out, first)
	}
	close(release)
	a.waitRecord(first, time.Minute)

	a.git.Commit(map[string]string{"raw/b.yaml": vpc("vpc-b", 1002)}, nil, "raw")
	var stdout, stderr bytes.Buffer
	code := runFgdctl([]string{"sync", "dc1", "--wait", "--url", a.server.URL, "--token", adminToken, "-o", "json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("fgdctl sync --wait: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var rec store.Record
	if err := json.Unmarshal(stdout.Bytes(), &rec); err != nil {
		t.Fatalf("record JSON: %v\n%s", err, stdout.String())
	}
	if rec.State != store.StateSucceeded || rec.Commit == "" || rec.Counts.ResourcesCreated != 1 || len(rec.Stages) < 4 || rec.Trigger != "manual" {
		t.Fatalf("record %+v", rec)
	}
}

// TestScheduledSync: a fabric with sync_interval 2s is synced without any
// webhook; setting the interval to 0 stops it.
func TestScheduledSync(t *testing.T) {
	a := newAdminEnv(t)
	st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", map[string]any{"sync_interval": "2s"}), adminToken)
	if st != 201 {
		t.Fatalf("create: %d %v", st, out)
	}
	scheduled := func() int {
		recs, err := a.store.ListRecords(context.Background(), "dc1", 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.Trigger == "scheduled" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for scheduled() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no scheduled sync within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, out := a.call("PUT", "/api/v1/fabrics/dc1", a.fabricBody("dc1", map[string]any{"sync_interval": "0"}), adminToken); st != 200 {
		t.Fatalf("put: %d %v", st, out)
	}
	a.waitNoScheduleFor(t, "dc1")
	a.waitIdle(time.Minute)
	before := scheduled()
	// The schedule entry is gone; for three intervals nothing more comes.
	end := time.Now().Add(6 * time.Second)
	for time.Now().Before(end) {
		if n := scheduled(); n != before {
			t.Fatalf("scheduled syncs went on after the interval became 0: %d → %d", before, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitNoScheduleFor polls the scheduler entries in Redis until none is
// for the fabric.
func (a *adminEnv) waitNoScheduleFor(t *testing.T, fabric string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		entries, err := a.insp.SchedulerEntries()
		found := false
		for _, e := range entries {
			found = found || strings.Contains(string(e.Task.Payload()), `"fabric":"`+fabric+`"`)
		}
		if err == nil && !found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedule of %s is still there: %v", fabric, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInventory: after a sync of the real sample, /resources lists every
// resource with its spec; a managed file deleted in the repository is gone
// from the list after the next sync.
func TestInventory(t *testing.T) {
	a := newAdminEnv(t)
	files := map[string]string{}
	for name, data := range benchcorpus.Files(1) {
		files[name] = string(data)
	}
	a.git.Commit(files, nil, "the nvidia-air-demo sample")
	st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", nil), adminToken)
	if st != 201 {
		t.Fatalf("create: %d %v", st, out)
	}
	a.waitRecord(out["sync_id"].(string), time.Minute)
	var managed []string
	for _, f := range gittest.Files(a.git.Tree("main"), "managed/") {
		if strings.HasSuffix(f, ".yaml") {
			managed = append(managed, f)
		}
	}
	st, out = a.call("GET", "/api/v1/fabrics/dc1/resources", nil, adminToken)
	items, _ := out["resources"].([]any)
	if st != 200 || len(items) != benchcorpus.DocumentsPerCopy || len(managed) != benchcorpus.DocumentsPerCopy {
		t.Fatalf("%d resources, %d managed files, want %d", len(items), len(managed), benchcorpus.DocumentsPerCopy)
	}
	head := a.git.Head("main")
	for _, it := range items {
		m := it.(map[string]any)
		if m["spec"] == nil || m["commit"] != head || m["kind"] == "" {
			t.Fatalf("resource %v", m)
		}
	}
	st, out = a.call("GET", "/api/v1/fabrics/dc1/resources?kind=Switch", nil, adminToken)
	if items, _ := out["resources"].([]any); st != 200 || len(items) != 10 {
		t.Fatalf("kind=Switch: %d resources", len(items))
	}
	a.git.Commit(nil, []string{"managed/switches/leaf-su00-r0-c00.yaml"}, "retire a switch")
	st, out = a.call("POST", "/api/v1/fabrics/dc1/sync", nil, adminToken)
	if st != 202 {
		t.Fatalf("sync: %d %v", st, out)
	}
	a.waitRecord(out["sync_id"].(string), time.Minute)
	_, out = a.call("GET", "/api/v1/fabrics/dc1/resources?kind=Switch", nil, adminToken)
	items, _ = out["resources"].([]any)
	for _, it := range items {
		if it.(map[string]any)["name"] == "leaf-su00-r0-c00" {
			t.Fatal("the deleted switch is still in the inventory")
		}
	}
	if len(items) != 9 {
		t.Fatalf("%d switches, want 9", len(items))
	}
}

// TestCleanup: deleting a fabric removes its schedule and cache; a later
// webhook for it is ignored.
func TestCleanup(t *testing.T) {
	a := newAdminEnv(t)
	st, out := a.call("POST", "/api/v1/fabrics", a.fabricBody("dc1", map[string]any{"sync_interval": "1h"}), adminToken)
	if st != 201 {
		t.Fatalf("create: %d %v", st, out)
	}
	a.waitRecord(out["sync_id"].(string), time.Minute)
	// The clone is named after the fabric, its clone URL and branch.
	clones := func() []string {
		m, _ := filepath.Glob(filepath.Join(a.dataDir, "dc1-*"))
		return m
	}
	if len(clones()) != 1 {
		t.Fatalf("clones after the init sync: %v, want one", clones())
	}
	if st, _ := a.call("DELETE", "/api/v1/fabrics/dc1", nil, adminToken); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	a.waitNoScheduleFor(t, "dc1")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if len(clones()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache was not dropped: %v", clones())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := pushFor(a.env, repository, "delivery-after-delete", a.git.Head("main"), "raw/x.yaml"); err == nil || !strings.Contains(err.Error(), `"ignored"`) {
		t.Fatalf("webhook after delete: %v", err)
	}
}

// TestThousandFabrics: with 1,000 fabrics registered, a webhook for one of
// them queues exactly its sync.
func TestThousandFabrics(t *testing.T) {
	a := newAdminEnv(t)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		f := a.fabric
		f.Name, f.Repository, f.SyncInterval.Duration = fmt.Sprintf("f%04d", i), fmt.Sprintf("acme/repo-%04d", i), 0
		if _, err := a.reg.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := pushFor(a.env, "acme/repo-0421", "delivery-1000", a.git.Head("main"), "raw/x.yaml")
	if err != nil || len(ids) != 1 {
		t.Fatalf("webhook: %v %v", ids, err)
	}
	info, err := a.insp.GetTaskInfo("fgd", ids[0])
	if err != nil || !strings.Contains(string(info.Payload), `"fabric":"f0421"`) {
		t.Fatalf("task %+v %v", info, err)
	}
}

// TestFgdctlAdminClient drives every admin command of the real fgdctl, in
// table and JSON output, with their exit codes.
func TestFgdctlAdminClient(t *testing.T) {
	a := newAdminEnv(t)
	a.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")
	flags := []string{"--url", a.server.URL, "--token", adminToken}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := runFgdctl(append(args, flags...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	fabricFile := filepath.Join(t.TempDir(), "dc1.yaml")
	if err := os.WriteFile(fabricFile, []byte("name: dc1\nrepository: "+repository+"\nclone_url: "+a.git.RepoURL()+"\nsync_interval: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("fabric", "add", "-f", fabricFile, "-o", "json")
	var added struct {
		SyncID string `json:"sync_id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &added) != nil || added.SyncID == "" {
		t.Fatalf("fabric add: %d %s %s", code, out, errOut)
	}
	a.waitRecord(added.SyncID, time.Minute) // the init sync holds the fabric meanwhile
	if code, _, errOut := run("fabric", "add", "-f", fabricFile); code != 1 || !strings.Contains(errOut, "FGD_1005") {
		t.Fatalf("fabric add twice: %d %s", code, errOut)
	}
	if code, out, _ := run("fabric", "add", "--name", "lab", "--repository", "acme/lab", "--clone-url", a.git.RepoURL(), "--path", "lab", "--sync-interval", "0"); code != 0 || !strings.Contains(out, "fabric lab created") {
		t.Fatalf("fabric add with flags: %d %s", code, out)
	}
	if code, out, _ := run("fabric", "list"); code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "dc1") || !strings.Contains(out, "lab") {
		t.Fatalf("fabric list: %d\n%s", code, out)
	}
	if code, out, _ := run("fabric", "get", "dc1", "-o", "json"); code != 0 || !strings.Contains(out, `"repository": "acme/fabric-config"`) {
		t.Fatalf("fabric get: %d %s", code, out)
	}
	a.git.Commit(map[string]string{"raw/vpc2.yaml": vpc("vpc-2", 1002)}, nil, "more")
	code, out, _ = run("sync", "dc1", "--wait")
	if code != 0 || !strings.Contains(out, "state") || !strings.Contains(out, "succeeded") {
		t.Fatalf("sync --wait: %d\n%s", code, out)
	}
	// A rejected file: the sync ends partial, --wait exits 1, and -o yaml is
	// the stored record, field for field.
	a.git.Commit(map[string]string{"raw/bad.yaml": strings.Replace(vpc("vpc-3", 1003), "vlan: 1003", "vlan: twelve", 1),
		"raw/vpc4.yaml": vpc("vpc-4", 1004)}, nil, "one good, one bad")
	code, out, errOut = run("sync", "dc1", "--wait", "-o", "yaml")
	var partial store.Record
	if err := yaml.UnmarshalStrict([]byte(out), &partial); err != nil || code != 1 || partial.State != store.StatePartial || len(partial.Errors) != 1 {
		t.Fatalf("sync --wait of a partial sync: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if stored, err := a.store.GetRecord(context.Background(), partial.ID); err != nil || !sameJSON(t, stored, &partial) {
		t.Fatalf("-o yaml printed %+v; the store holds %+v (%v)", partial, stored, err)
	}
	if code, out, _ := run("syncs", "dc1"); code != 0 || !strings.HasPrefix(out, "SYNC") || strings.Count(out, "\n") < 3 {
		t.Fatalf("syncs: %d\n%s", code, out)
	}
	var list struct {
		Syncs []struct {
			ID string `json:"id"`
		} `json:"syncs"`
	}
	_, out, _ = run("syncs", "dc1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Syncs) < 2 {
		t.Fatalf("syncs -o json: %v\n%s", err, out)
	}
	if code, out, _ := run("status", list.Syncs[0].ID); code != 0 || !strings.Contains(out, list.Syncs[0].ID) {
		t.Fatalf("status: %d %s", code, out)
	}
	if code, out, _ := run("resources", "dc1", "--kind", "VPC"); code != 0 || !strings.Contains(out, "managed/vpcs/vpc-1.yaml") {
		t.Fatalf("resources: %d\n%s", code, out)
	}
	if code, out, _ := run("health"); code != 0 || !strings.Contains(out, "redis") || !strings.Contains(out, "workers") {
		t.Fatalf("health: %d\n%s", code, out)
	}
	if code, out, _ := run("fabric", "rm", "lab"); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("fabric rm: %d %s", code, out)
	}
	if code, _, errOut := run("fabric", "get", "lab"); code != 1 || !strings.Contains(errOut, "FGD_6004") {
		t.Fatalf("get a removed fabric: %d %s", code, errOut)
	}
	var stdout, stderr bytes.Buffer
	if code := runFgdctl([]string{"fabric", "list", "--url", a.server.URL, "--token", "wrong"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "FGD_6002") {
		t.Fatalf("wrong token: %d %s", code, stderr.String())
	}
	if code := runFgdctl([]string{"sync"}, &stdout, &stderr); code != 2 {
		t.Fatalf("usage error: %d", code)
	}
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}
