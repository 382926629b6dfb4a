package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/handlers"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
)

const testToken = "fgdctl-test-token-0123456789"

// apiServer is the real admin API, with the real router, on a Redis of the
// test's own; no worker runs, so the test writes what a worker would.
type apiServer struct {
	t      *testing.T
	url    string
	reg    *registry.Registry
	store  *store.Store
	access *access.Store
	insp   *asynq.Inspector
	logs   *syncbuf.Buffer
	// secrets are the token secrets the test has seen; none may appear in
	// the server's logs.
	secrets []string
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	// A private Redis: the admin API reads jobs.DefaultQueue, which a shared
	// Redis would share with other tests.
	rs := testredis.NewPrivate(t, testredis.Options{})
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	s := &apiServer{t: t, reg: registry.New(rdb, ""), store: store.New(rdb, ""), access: access.New(rdb, access.Options{}),
		insp: asynq.NewInspectorFromRedisClient(rdb), logs: logs, secrets: []string{testToken}}
	queue := asynq.NewClientFromRedisClient(rdb)
	pinger := handlers.RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	srv := httptest.NewServer(handlers.NewRouter(handlers.RouterConfig{
		Webhook: http.NotFoundHandler(), Redis: pinger, Logger: log,
		Admin: (&handlers.AdminAPI{Token: []byte(testToken), Access: s.access, Registry: s.reg, Records: s.store, Queue: queue,
			Inspector: s.insp, Redis: pinger, Logger: log}).Routes(),
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	t.Cleanup(func() {
		for _, secret := range s.secrets {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a token (%.8s…) appears in the server's logs", secret)
			}
		}
	})
	return s
}

// getenv is the environment of a user of this server.
func (s *apiServer) getenv(k string) string {
	return map[string]string{envURL: s.url, envToken: testToken}[k]
}

func (s *apiServer) fgdctl(args ...string) (int, string, string) {
	return fgdctlEnv(s.getenv, args...)
}

// answer is the server's own JSON answer to a GET.
func (s *apiServer) answer(path string) []byte {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// generic decodes a JSON document into maps and slices, for comparing
// documents rather than bytes.
func generic(t *testing.T, doc []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	return v
}

// finishedRecord is a record as a worker writes it, with every field set.
func finishedRecord(id, fabric, state string) *store.Record {
	// Recent, or the fabric's index drops it; to the millisecond, as JSON keeps it.
	started := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	finished := started.Add(2 * time.Second)
	return &store.Record{ID: id, Fabric: fabric, Trigger: "webhook", State: state, CorrelationID: "delivery-1",
		CreatedAt: started.Add(-time.Second), StartedAt: &started, FinishedAt: &finished,
		Commit: "0123456789abcdef0123456789abcdef01234567", Attempt: 2,
		Stages:   []store.Stage{{Name: "fetch", DurationMS: 12}, {Name: "ingest", DurationMS: 40}},
		Counts:   ingestion.Counts{FilesProcessed: 3, ResourcesCreated: 2, FilesUnmanaged: 1, FilesRejected: 1},
		Errors:   []ingestion.Issue{{Code: fgderr.SchemaValidation, File: "raw/x.yaml", Line: 7, Path: "spec.subnets.default.vlan", Message: "got string, want integer"}},
		Warnings: []ingestion.Issue{{Code: fgderr.InvalidStructure, File: "raw/y.yaml", Message: "a warning"}},
		Head:     "fedcba9876543210fedcba9876543210fedcba98", CoalescedInto: "", ValidateOnly: false}
}

// TestReadCommandsRoundTrip: every read command, in JSON and in YAML,
// prints the server's answer field for field; the output decodes strictly
// into the shared type and encodes back to the same bytes; the table has a
// header and the data.
func TestReadCommandsRoundTrip(t *testing.T) {
	s := newAPIServer(t)
	ctx := context.Background()
	code, out, errOut := s.fgdctl("fabric", "add", "--name", "dc1", "--repository", "acme/fabric-config", "--sync-interval", "0", "-o", "yaml")
	var created adminapi.FabricCreated
	if code != 0 || yaml.UnmarshalStrict([]byte(out), &created) != nil || created.SyncID == "" {
		t.Fatalf("fabric add: exit %d\n%s\n%s", code, out, errOut)
	}
	if stored, err := s.reg.Fabric(ctx, "dc1"); err != nil || mustJSON(t, stored) != mustJSON(t, created.Fabric) || stored.SyncInterval.Duration != 0 || stored.Branch != fabrics.DefaultBranch {
		t.Fatalf("fabric add printed %+v; the registry holds %+v (%v)", created.Fabric, stored, err)
	}
	file := filepath.Join(t.TempDir(), "lab.yaml")
	write(t, file, "name: lab\nrepository: acme/lab\npath: fabrics/lab\nwrite_mode: pull-request\n")
	if code, out, errOut := s.fgdctl("fabric", "add", "-f", file); code != 0 || !strings.Contains(out, "fabric lab created") {
		t.Fatalf("fabric add -f: exit %d\n%s\n%s", code, out, errOut)
	}
	rec := finishedRecord("11111111-2222-3333-4444-555555555555", "dc1", store.StatePartial)
	if err := s.store.PutRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	inventory := []store.Resource{
		{APIVersion: "vpc.githedgehog.com/v1beta1", Kind: "VPC", Namespace: "default", Name: "vpc-1", Path: "managed/vpcs/vpc-1.yaml",
			Labels: map[string]any{"team": "a"}, Spec: map[string]any{"subnets": map[string]any{"default": map[string]any{"vlan": 1001.0}}}, Commit: rec.Commit},
		{APIVersion: "wiring.githedgehog.com/v1beta1", Kind: "Switch", Namespace: "default", Name: "leaf-1", Path: "managed/switches/leaf-1.yaml",
			Annotations: map[string]any{"note": "x"}, Spec: map[string]any{"role": "server-leaf"}, Commit: rec.Commit},
	}
	if err := s.store.PutInventory(ctx, "dc1", inventory); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = s.fgdctl("token", "create", "ci-dc1", "--role", "trigger", "--fabrics", "dc1")
	if code != 0 {
		t.Fatalf("token create: exit %d\n%s", code, errOut)
	}
	s.secrets = append(s.secrets, strings.TrimSpace(out))

	tests := []struct {
		name   string
		args   []string
		path   string
		into   func() any
		header string // the table's first line starts so
		shows  string // and the table shows this
	}{
		{"fabric list", []string{"fabric", "list"}, "/api/v1/fabrics", func() any { return &adminapi.FabricList{} }, "NAME", "acme/lab"},
		{"fabric get", []string{"fabric", "get", "lab"}, "/api/v1/fabrics/lab", func() any { return &fabrics.Fabric{} }, "name", "pull-request"},
		{"syncs", []string{"syncs", "dc1"}, "/api/v1/fabrics/dc1/syncs?limit=20", func() any { return &adminapi.SyncList{} }, "SYNC", rec.ID},
		{"status of a finished sync", []string{"status", rec.ID}, "/api/v1/syncs/" + rec.ID, func() any { return &store.Record{} }, "sync", "partial"},
		{"status of a queued sync", []string{"status", created.SyncID}, "/api/v1/syncs/" + created.SyncID, func() any { return &store.Record{} }, "sync", "queued"},
		{"resources", []string{"resources", "dc1"}, "/api/v1/fabrics/dc1/resources", func() any { return &adminapi.ResourceList{} }, "KIND", "managed/switches/leaf-1.yaml"},
		{"resources of a kind", []string{"resources", "dc1", "--kind", "VPC"}, "/api/v1/fabrics/dc1/resources?kind=VPC", func() any { return &adminapi.ResourceList{} }, "KIND", "vpc-1"},
		{"health", []string{"health"}, "/api/v1/health", func() any { return &adminapi.Health{} }, "redis", "queue pending"},
		{"token list", []string{"token", "list"}, "/api/v1/tokens", func() any { return &access.TokenList{} }, "NAME", "ci-dc1"},
		{"audit", []string{"audit"}, "/api/v1/audit?limit=100", func() any { return &access.AuditLog{} }, "TIME", "/api/v1/tokens"},
		{"audit of a fabric", []string{"audit", "--fabric", "lab", "--limit", "5"}, "/api/v1/audit?fabric=lab&limit=5", func() any { return &access.AuditLog{} }, "TIME", "lab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, table, errOut := s.fgdctl(tc.args...)
			if code != 0 || !strings.HasPrefix(table, tc.header) || !strings.Contains(table, tc.shows) {
				t.Fatalf("table: exit %d, stderr %q\n%s", code, errOut, table)
			}
			for _, o := range []output{outputJSON, outputYAML} {
				code, out, errOut := s.fgdctl(append(tc.args, "-o", string(o))...)
				if code != 0 || errOut != "" {
					t.Fatalf("-o %s: exit %d, stderr %q", o, code, errOut)
				}
				doc := []byte(out)
				if o == outputYAML {
					var err error
					if doc, err = yaml.YAMLToJSON(doc); err != nil {
						t.Fatalf("-o yaml is not YAML: %v\n%s", err, out)
					}
				}
				got, want := generic(t, doc), generic(t, s.answer(tc.path))
				if tc.name == "health" { // the one field that changes between calls
					delete(got.(map[string]any), "redis_latency_ms")
					delete(want.(map[string]any), "redis_latency_ms")
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("-o %s is not the server's answer:\n got %s\nwant %s", o, mustJSON(t, got), mustJSON(t, want))
				}
				v := tc.into()
				if err := yaml.UnmarshalStrict([]byte(out), v); err != nil {
					t.Fatalf("-o %s does not decode strictly into %T: %v", o, v, err)
				}
				var again bytes.Buffer
				if err := o.print(&again, v, nil); err != nil || again.String() != out {
					t.Fatalf("-o %s does not round-trip through %T (%v):\n%s\n%s", o, v, err, out, again.String())
				}
			}
		})
	}
	// The finished record is the one stored, field for field.
	_, out, _ = s.fgdctl("status", rec.ID, "-o", "yaml")
	var got store.Record
	if err := yaml.UnmarshalStrict([]byte(out), &got); err != nil || mustJSON(t, &got) != mustJSON(t, rec) {
		t.Fatalf("status -o yaml: %v\n got %s\nwant %s", err, mustJSON(t, &got), mustJSON(t, rec))
	}
}

// TestAdminExitCodes: API errors exit 1 with the error on stderr and
// nothing on stdout; flags go before or after the arguments; the
// environment and the flags both name the server.
func TestAdminExitCodes(t *testing.T) {
	s := newAPIServer(t)
	if code, _, errOut := s.fgdctl("fabric", "add", "--name", "dc1", "--repository", "acme/fabric-config"); code != 0 {
		t.Fatalf("fabric add: %d %s", code, errOut)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		getenv func(string) string
		args   []string
		code   int
		stderr string // stderr holds this
	}{
		{"wrong token", s.getenv, []string{"fabric", "list", "--token", "wrong"}, exitRejected, string(fgderr.Unauthorized)},
		{"unknown fabric", s.getenv, []string{"fabric", "get", "nope"}, exitRejected, string(fgderr.NotFound)},
		{"fabric name taken", s.getenv, []string{"fabric", "add", "--name", "dc1", "--repository", "acme/other"}, exitRejected, string(fgderr.DuplicateResource)},
		{"field the server refuses", s.getenv, []string{"fabric", "add", "--name", "DC_2", "--repository", "acme/other"}, exitRejected, string(fgderr.InvalidStructure)},
		{"unknown sync", s.getenv, []string{"status", "no-such-sync"}, exitRejected, string(fgderr.NotFound)},
		{"server down", s.getenv, []string{"health", "--url", closed.URL}, exitRejected, "cannot reach"},
		{"flags only from the command line", noEnv, []string{"fabric", "list", "--url", s.url, "--token", testToken}, exitOK, ""},
		{"flags before the argument", s.getenv, []string{"syncs", "--limit", "5", "-o", "json", "dc1"}, exitOK, ""},
		{"flags after the argument", s.getenv, []string{"syncs", "dc1", "--limit", "5", "-o", "json"}, exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := fgdctlEnv(tc.getenv, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.stderr)
			}
			if code != exitOK && out != "" {
				t.Fatalf("a failure wrote to stdout: %q", out)
			}
			if code != exitOK && strings.Contains(errOut, "for usage") {
				t.Fatalf("an API error is reported as a usage error: %q", errOut)
			}
		})
	}
}

// TestSyncWaitExitCodes: sync --wait exits 0 when the sync succeeds and 1
// when it ends partial or failed. No worker runs: once the sync is queued,
// the test writes its final record and clears the queued mark, as the
// worker does.
func TestSyncWaitExitCodes(t *testing.T) {
	s := newAPIServer(t)
	ctx := context.Background()
	if code, _, errOut := s.fgdctl("fabric", "add", "--name", "dc1", "--repository", "acme/fabric-config"); code != 0 {
		t.Fatalf("fabric add: %d %s", code, errOut)
	}
	seen := map[string]bool{}
	tests := []struct {
		state string
		code  int
	}{
		{store.StateSucceeded, exitOK},
		{store.StatePartial, exitRejected},
		{store.StateFailed, exitRejected},
	}
	for _, tc := range tests {
		t.Run(tc.state, func(t *testing.T) {
			type result struct {
				code        int
				out, errOut string
			}
			done := make(chan result, 1)
			go func() {
				code, out, errOut := s.fgdctl("sync", "dc1", "--validate-only", "--wait", "--wait-timeout", "1m", "-o", "json")
				done <- result{code, out, errOut}
			}()
			id := s.waitForManualSync(seen, time.Minute)
			if err := s.store.PutRecord(ctx, finishedRecord(id, "dc1", tc.state)); err != nil {
				t.Fatal(err)
			}
			if err := s.store.ClearQueued(ctx, "dc1", id); err != nil {
				t.Fatal(err)
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute):
				t.Fatal("sync --wait did not return")
			}
			var rec store.Record
			if r.code != tc.code || json.Unmarshal([]byte(r.out), &rec) != nil || rec.ID != id || rec.State != tc.state {
				t.Fatalf("exit %d, want %d; stdout %s; stderr %s", r.code, tc.code, r.out, r.errOut)
			}
		})
	}
}

// waitForManualSync polls the queue for a manual sync not seen before, and
// checks its options arrived.
func (s *apiServer) waitForManualSync(seen map[string]bool, within time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		tasks, err := s.insp.ListPendingTasks(jobs.DefaultQueue)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, task := range tasks {
			var p jobs.SyncPayload
			if task.Type != jobs.TypeSync || seen[task.ID] || json.Unmarshal(task.Payload, &p) != nil || p.Trigger != jobs.TriggerManual {
				continue
			}
			seen[task.ID] = true
			if !p.Options.ValidateOnly || p.Fabric != "dc1" {
				s.t.Fatalf("the queued sync is %+v; want dc1, validate-only", p)
			}
			return task.ID
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no manual sync queued within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCompleteFabricNames: completing a fabric name asks the server.
func TestCompleteFabricNames(t *testing.T) {
	s := newAPIServer(t)
	for _, name := range []string{"dc1", "lab"} {
		if code, _, errOut := s.fgdctl("fabric", "add", "--name", name, "--repository", "acme/"+name); code != 0 {
			t.Fatalf("fabric add: %d %s", code, errOut)
		}
	}
	for _, args := range [][]string{{"fabric", "get", ""}, {"sync", ""}, {"syncs", "--limit", "3", ""},
		{"token", "create", "ci", "--fabrics", ""}, {"audit", "--fabric", ""}} {
		code, out, _ := s.fgdctl(append([]string{"__complete"}, args...)...)
		if code != 0 || !strings.Contains(out, "dc1\tacme/dc1") || !strings.Contains(out, "lab\tacme/lab") {
			t.Fatalf("__complete %v: exit %d\n%s", args, code, out)
		}
	}
	code, secret, errOut := s.fgdctl("token", "create", "ci-dc1", "--role", "trigger", "--fabrics", "dc1")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	s.secrets = append(s.secrets, strings.TrimSpace(secret))
	if code, out, _ := s.fgdctl("__complete", "token", "rm", ""); code != 0 || !strings.Contains(out, "ci-dc1\ttrigger on dc1") {
		t.Fatalf("__complete token rm: exit %d\n%s", code, out)
	}
	// Without a token there is nothing to ask: no names, no error.
	if code, out, _ := fgdctl("__complete", "fabric", "get", ""); code != 0 || strings.Contains(out, "dc1") {
		t.Fatalf("__complete without a token: exit %d\n%s", code, out)
	}
}
