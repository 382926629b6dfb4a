package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
	"github.com/githedgehog/fgd-sync/store"
)

const bootstrapToken = "bootstrap-admin-token-for-access-tests"

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// accessEnv is the admin API and the dashboard, wired as the webhook server
// wires them, over a real Redis with fabrics dc1 and dc2.
type accessEnv struct {
	t       *testing.T
	server  *httptest.Server
	clock   *testClock
	records *store.Store
	logs    *syncbuf.Buffer
	secrets []string // every token secret the test has seen
	// bodies holds every answer but the one creating a token.
	bodies strings.Builder
	// mutations are the mutating calls made with a valid token, by
	// request id: what the audit must hold.
	mutations map[string]access.AuditEntry
	seq       int
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testredis.Unique("fgd") + ":"
	e := &accessEnv{t: t, clock: &testClock{t: time.Now()}, records: store.New(rdb, prefix), logs: &syncbuf.Buffer{},
		secrets: []string{bootstrapToken}, mutations: map[string]access.AuditEntry{}}
	reg := registry.New(rdb, prefix)
	for _, name := range []string{"dc1", "dc2"} {
		f := fabrics.Fabric{Name: name, Repository: "acme/" + name, SyncInterval: fabrics.NewDuration(0)}
		f.Normalize()
		if _, err := reg.Create(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	connOpt, err := asynq.ParseRedisURI(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	mon := asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: connOpt})
	t.Cleanup(func() { _ = mon.Close() })
	pinger := RedisPinger(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	api := &AdminAPI{
		Token:     []byte(bootstrapToken),
		Access:    access.New(rdb, access.Options{Prefix: prefix, Now: e.clock.Now}),
		Registry:  reg,
		Records:   e.records,
		Queue:     asynq.NewClientFromRedisClient(rdb),
		Inspector: asynq.NewInspectorFromRedisClient(rdb),
		Redis:     pinger,
		Logger:    log,
	}
	e.server = httptest.NewServer(NewRouter(RouterConfig{
		Webhook: http.NotFoundHandler(), Redis: pinger, Logger: log,
		Admin: api.Routes(), Monitoring: api.Dashboard(mon),
	}))
	t.Cleanup(e.server.Close)
	t.Cleanup(e.assertNoSecretLeaked)
	return e
}

// do sends a request with the token as a bearer token and an X-Request-Id
// of its own, and remembers what the audit must say about it.
func (e *accessEnv) do(token, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.server.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	e.seq++
	reqID := "test-" + strconv.Itoa(e.seq)
	req.Header.Set("X-Request-Id", reqID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Request-Id") != reqID {
		e.t.Fatalf("%s %s: X-Request-Id %q, want %q", method, path, resp.Header.Get("X-Request-Id"), reqID)
	}
	if !(method == "POST" && path == "/api/v1/tokens" && resp.StatusCode == 201) {
		e.bodies.Write(raw)
	}
	if method != "GET" && resp.StatusCode != 401 {
		var eb errorBody
		_ = json.Unmarshal(raw, &eb)
		e.mutations[reqID] = access.AuditEntry{Method: method, Path: path, Status: resp.StatusCode, Code: eb.Error.Code, RequestID: reqID}
	}
	return resp.StatusCode, raw
}

// create makes a token with the bootstrap admin and returns its secret.
func (e *accessEnv) create(name string, role access.Role, fabrics []string, expiresIn string) string {
	e.t.Helper()
	st, raw := e.do(bootstrapToken, "POST", "/api/v1/tokens", access.CreateRequest{Name: name, Role: role, Fabrics: fabrics, ExpiresIn: expiresIn})
	var created access.CreatedToken
	if err := json.Unmarshal(raw, &created); st != 201 || err != nil || created.Token == "" || created.Name != name {
		e.t.Fatalf("create token %s: %d %s", name, st, raw)
	}
	e.secrets = append(e.secrets, created.Token)
	return created.Token
}

func errorCode(raw []byte) string {
	var eb errorBody
	_ = json.Unmarshal(raw, &eb)
	return string(eb.Error.Code)
}

// assertNoSecretLeaked scans the logs, every answer but the creating ones,
// and the audit for every secret the test saw.
func (e *accessEnv) assertNoSecretLeaked() {
	_, audit := e.do(bootstrapToken, "GET", "/api/v1/audit?limit=1000", nil)
	for _, sec := range e.secrets {
		for where, text := range map[string]string{"the logs": e.logs.String(), "an answer": e.bodies.String(), "the audit": string(audit)} {
			if strings.Contains(text, sec) {
				e.t.Errorf("a token secret (%.8s…) appears in %s", sec, where)
			}
		}
	}
	if !strings.Contains(e.logs.String(), `"msg":"admin call"`) {
		e.t.Error("the logs hold no admin call: the scan looked at nothing")
	}
}

// TestTokenRolesAndScopes: each role and scope against each kind of route,
// through the real router and handlers on a real Redis.
func TestTokenRolesAndScopes(t *testing.T) {
	e := newAccessEnv(t)
	admin := e.create("ops", access.RoleAdmin, []string{"*"}, "")
	readAll := e.create("viewer", access.RoleRead, []string{"*"}, "")
	readDC1 := e.create("dc1-viewer", access.RoleRead, []string{"dc1"}, "24h")
	triggerDC1 := e.create("dc1-ci", access.RoleTrigger, []string{"dc1"}, "")

	// A sync of dc2 queued (known to the queue only) and one recorded.
	st, raw := e.do(bootstrapToken, "POST", "/api/v1/fabrics/dc2/sync", nil)
	var queued struct {
		SyncID string `json:"sync_id"`
	}
	if err := json.Unmarshal(raw, &queued); err != nil || st != 202 || queued.SyncID == "" {
		t.Fatalf("sync dc2: %d %s", st, raw)
	}
	for _, rec := range []*store.Record{{ID: "rec-dc1", Fabric: "dc1", State: store.StateSucceeded}, {ID: "rec-dc2", Fabric: "dc2", State: store.StateSucceeded}} {
		if err := e.records.PutRecord(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}

	fabricBody := map[string]any{"name": "dc1", "repository": "acme/dc1", "sync_interval": "0"}
	tests := []struct {
		name, token, method, path string
		body                      any
		status                    int
		code                      string
	}{
		{"no token", "", "GET", "/api/v1/fabrics", nil, 401, "FGD_6002"},
		{"unknown token", "fgd_not-a-token-at-all-0000000000000000000000", "GET", "/api/v1/fabrics", nil, 401, "FGD_6002"},
		{"unknown token on a mutation", "wrong", "DELETE", "/api/v1/fabrics/dc1", nil, 401, "FGD_6002"},

		{"read lists fabrics", readAll, "GET", "/api/v1/fabrics", nil, 200, ""},
		{"read gets a fabric", readAll, "GET", "/api/v1/fabrics/dc2", nil, 200, ""},
		{"read lists syncs", readAll, "GET", "/api/v1/fabrics/dc2/syncs", nil, 200, ""},
		{"read lists resources", readAll, "GET", "/api/v1/fabrics/dc2/resources", nil, 200, ""},
		{"read gets a sync", readAll, "GET", "/api/v1/syncs/rec-dc2", nil, 200, ""},
		{"read may not sync", readAll, "POST", "/api/v1/fabrics/dc1/sync", nil, 403, "FGD_6003"},
		{"read may not delete", readAll, "DELETE", "/api/v1/fabrics/dc1", nil, 403, "FGD_6003"},
		{"read may not see health", readAll, "GET", "/api/v1/health", nil, 403, "FGD_6003"},
		{"read may not list tokens", readAll, "GET", "/api/v1/tokens", nil, 403, "FGD_6003"},
		{"read may not create tokens", readAll, "POST", "/api/v1/tokens", access.CreateRequest{Name: "mine", Role: access.RoleAdmin, Fabrics: []string{"*"}}, 403, "FGD_6003"},
		{"read may not read the audit", readAll, "GET", "/api/v1/audit", nil, 403, "FGD_6003"},

		{"dc1 reader gets dc1", readDC1, "GET", "/api/v1/fabrics/dc1", nil, 200, ""},
		{"dc1 reader gets dc1's syncs", readDC1, "GET", "/api/v1/fabrics/dc1/syncs", nil, 200, ""},
		{"dc1 reader gets a dc1 record", readDC1, "GET", "/api/v1/syncs/rec-dc1", nil, 200, ""},
		{"dc1 reader may not get dc2", readDC1, "GET", "/api/v1/fabrics/dc2", nil, 403, "FGD_6003"},
		{"dc1 reader may not list dc2's syncs", readDC1, "GET", "/api/v1/fabrics/dc2/syncs", nil, 403, "FGD_6003"},
		{"dc1 reader may not list dc2's resources", readDC1, "GET", "/api/v1/fabrics/dc2/resources", nil, 403, "FGD_6003"},
		{"dc1 reader may not get a dc2 record", readDC1, "GET", "/api/v1/syncs/rec-dc2", nil, 403, "FGD_6003"},
		{"dc1 reader may not get a queued dc2 sync", readDC1, "GET", "/api/v1/syncs/" + queued.SyncID, nil, 403, "FGD_6003"},
		{"dc1 reader learns nothing of unknown fabrics", readDC1, "GET", "/api/v1/fabrics/dc9", nil, 403, "FGD_6003"},
		{"a name no fabric can have", readDC1, "GET", "/api/v1/fabrics/DC_1", nil, 404, "FGD_6004"},

		{"dc1 trigger syncs dc1", triggerDC1, "POST", "/api/v1/fabrics/dc1/sync", nil, 202, ""},
		{"dc1 trigger may not sync dc2", triggerDC1, "POST", "/api/v1/fabrics/dc2/sync", nil, 403, "FGD_6003"},
		{"dc1 trigger may not change dc1", triggerDC1, "PUT", "/api/v1/fabrics/dc1", fabricBody, 403, "FGD_6003"},
		{"dc1 trigger may not delete dc1", triggerDC1, "DELETE", "/api/v1/fabrics/dc1", nil, 403, "FGD_6003"},
		{"dc1 trigger may not create fabrics", triggerDC1, "POST", "/api/v1/fabrics", fabricBody, 403, "FGD_6003"},

		{"admin sees health", admin, "GET", "/api/v1/health", nil, 200, ""},
		{"admin lists tokens", admin, "GET", "/api/v1/tokens", nil, 200, ""},
		{"admin reads the audit", admin, "GET", "/api/v1/audit?fabric=dc1&limit=5", nil, 200, ""},
		{"audit limit out of range", admin, "GET", "/api/v1/audit?limit=0", nil, 400, "FGD_1003"},
		{"admin creates a token", admin, "POST", "/api/v1/tokens", access.CreateRequest{Name: "made-by-ops", Role: access.RoleRead, Fabrics: []string{"dc2"}}, 201, ""},
		{"a taken token name", admin, "POST", "/api/v1/tokens", access.CreateRequest{Name: "viewer", Role: access.RoleRead, Fabrics: []string{"dc2"}}, 409, "FGD_1005"},
		{"the bootstrap name", admin, "POST", "/api/v1/tokens", access.CreateRequest{Name: access.BootstrapName, Role: access.RoleRead, Fabrics: []string{"dc2"}}, 409, "FGD_1005"},
		{"a scoped admin", admin, "POST", "/api/v1/tokens", access.CreateRequest{Name: "half-admin", Role: access.RoleAdmin, Fabrics: []string{"dc1"}}, 400, "FGD_1003"},
		{"an unknown field", admin, "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "read", "fabrics": []string{"*"}, "secret": "mine"}, 400, "FGD_1003"},
		{"revoking an unknown token", admin, "DELETE", "/api/v1/tokens/nobody", nil, 404, "FGD_6004"},
		{"a secret pasted as a token name", admin, "DELETE", "/api/v1/tokens/" + readAll, nil, 404, "FGD_6004"},
		{"a secret pasted as a fabric name", admin, "GET", "/api/v1/fabrics/" + readAll, nil, 404, "FGD_6004"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := e.do(tc.token, tc.method, tc.path, tc.body)
			if st != tc.status || errorCode(raw) != tc.code {
				t.Fatalf("%s %s: %d %s, want %d %s", tc.method, tc.path, st, raw, tc.status, tc.code)
			}
			if tc.method == "POST" && tc.path == "/api/v1/tokens" && st == 201 {
				var created access.CreatedToken
				_ = json.Unmarshal(raw, &created)
				e.secrets = append(e.secrets, created.Token)
			}
		})
	}

	// Lists show only the fabrics in scope.
	listed := func(token string) []string {
		_, raw := e.do(token, "GET", "/api/v1/fabrics", nil)
		var out struct{ Fabrics []fabrics.Fabric }
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range out.Fabrics {
			names = append(names, f.Name)
		}
		return names
	}
	if got := listed(readDC1); !slices.Equal(got, []string{"dc1"}) {
		t.Fatalf("the dc1 reader lists %v", got)
	}
	if got := listed(admin); !slices.Equal(got, []string{"dc1", "dc2"}) {
		t.Fatalf("the admin lists %v", got)
	}
	if got := listed(e.create("dc2-viewer", access.RoleRead, []string{"dc2", "dc9"}, "")); !slices.Equal(got, []string{"dc2"}) {
		t.Fatalf("the reader of dc2 and dc9 lists %v", got)
	}

	// The token list: every token, its role, scope and last use; no secret.
	_, raw = e.do(admin, "GET", "/api/v1/tokens", nil)
	var list access.TokenList
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	byName := map[string]access.TokenInfo{}
	for _, tok := range list.Tokens {
		byName[tok.Name] = tok
	}
	if dc1 := byName["dc1-viewer"]; len(list.Tokens) != 6 || dc1.Role != access.RoleRead || !slices.Equal(dc1.Fabrics, []string{"dc1"}) ||
		dc1.LastUsedAt == nil || dc1.ExpiresAt.Sub(dc1.CreatedAt) != 24*time.Hour || byName["made-by-ops"].CreatedBy != "ops" || byName["made-by-ops"].LastUsedAt != nil {
		t.Fatalf("token list %s", raw)
	}
}

// TestRevokedAndExpiredTokens: a revoked token is refused on its next
// request; an expired one from its expiry on.
func TestRevokedAndExpiredTokens(t *testing.T) {
	e := newAccessEnv(t)
	short := e.create("short", access.RoleRead, []string{"*"}, "1h")
	gone := e.create("gone", access.RoleTrigger, []string{"*"}, "")
	for _, tok := range []string{short, gone} {
		if st, raw := e.do(tok, "GET", "/api/v1/fabrics", nil); st != 200 {
			t.Fatalf("before: %d %s", st, raw)
		}
	}
	if st, raw := e.do(bootstrapToken, "DELETE", "/api/v1/tokens/gone", nil); st != 200 {
		t.Fatalf("revoke: %d %s", st, raw)
	}
	if st, raw := e.do(gone, "GET", "/api/v1/fabrics", nil); st != 401 || errorCode(raw) != "FGD_6002" {
		t.Fatalf("the revoked token: %d %s", st, raw)
	}
	if st, raw := e.do(gone, "POST", "/api/v1/fabrics/dc1/sync", nil); st != 401 || errorCode(raw) != "FGD_6002" {
		t.Fatalf("the revoked token: %d %s", st, raw)
	}
	e.clock.Add(time.Hour)
	st, raw := e.do(short, "GET", "/api/v1/fabrics", nil)
	if st != 401 || errorCode(raw) != "FGD_6002" || !strings.Contains(string(raw), "expired") {
		t.Fatalf("the expired token: %d %s", st, raw)
	}
	if st, _ := e.do(bootstrapToken, "GET", "/api/v1/fabrics", nil); st != 200 {
		t.Fatalf("the bootstrap token: %d", st)
	}
}

// TestAuditEveryMutation: every mutating call with a valid token, whatever
// its outcome, is in the audit exactly once with its token's name, status,
// code, fabric and request id; calls without a valid token are not.
func TestAuditEveryMutation(t *testing.T) {
	e := newAccessEnv(t)
	admin := e.create("ops", access.RoleAdmin, []string{"*"}, "")
	reader := e.create("reader", access.RoleRead, []string{"dc1"}, "")
	trigger := e.create("ci", access.RoleTrigger, []string{"dc1", "dc2"}, "")
	names := map[string]string{bootstrapToken: access.BootstrapName, admin: "ops", reader: "reader", trigger: "ci"}
	calls := []struct {
		token, method, path string
		body                any
		fabric, subject     string
	}{
		{trigger, "POST", "/api/v1/fabrics/dc1/sync", nil, "dc1", ""},
		{trigger, "POST", "/api/v1/fabrics/dc1/sync", nil, "dc1", ""}, // 409 FGD_3001: queued already
		{trigger, "POST", "/api/v1/fabrics/dc2/sync", map[string]any{"options": map[string]any{"dry_run": true}}, "dc2", ""},
		{reader, "POST", "/api/v1/fabrics/dc1/sync", nil, "dc1", ""},
		{reader, "DELETE", "/api/v1/fabrics/dc2", nil, "dc2", ""},
		{admin, "POST", "/api/v1/fabrics", map[string]any{"name": "dc3", "repository": "not a repository"}, "dc3", ""},
		{admin, "PUT", "/api/v1/fabrics/dc9", map[string]any{"name": "dc9", "repository": "acme/dc9"}, "dc9", ""},
		{admin, "POST", "/api/v1/tokens", access.CreateRequest{Name: "temp", Role: access.RoleRead, Fabrics: []string{"dc2"}}, "", "temp"},
		{admin, "DELETE", "/api/v1/tokens/temp", nil, "", "temp"},
		{admin, "DELETE", "/api/v1/tokens/temp", nil, "", "temp"},
		{bootstrapToken, "DELETE", "/api/v1/fabrics/dc2", nil, "dc2", ""},
		{admin, "POST", "/api/v1/nowhere", nil, "", ""},
		{admin, "DELETE", "/monitoring/api/queues/fgd", nil, "", ""},
		{"no-such-token", "DELETE", "/api/v1/fabrics/dc1", nil, "", ""},
		{"", "POST", "/api/v1/tokens", access.CreateRequest{Name: "x", Role: access.RoleAdmin, Fabrics: []string{"*"}}, "", ""},
	}
	e.mutations = map[string]access.AuditEntry{} // only the calls below
	want := map[string]access.AuditEntry{}
	for _, c := range calls {
		st, raw := e.do(c.token, c.method, c.path, c.body)
		if c.method == "POST" && c.path == "/api/v1/tokens" && st == 201 {
			var created access.CreatedToken
			_ = json.Unmarshal(raw, &created)
			e.secrets = append(e.secrets, created.Token)
		}
		id := "test-" + strconv.Itoa(e.seq)
		if _, known := names[c.token]; !known {
			if st != 401 {
				t.Fatalf("%s %s with a wrong token: %d", c.method, c.path, st)
			}
			continue
		}
		w := e.mutations[id]
		w.Token, w.Fabric, w.Subject = names[c.token], c.fabric, c.subject
		want[id] = w
	}
	if len(want) != len(calls)-2 {
		t.Fatalf("%d audited calls expected", len(want))
	}
	_, raw := e.do(admin, "GET", "/api/v1/audit?limit=1000", nil)
	var log access.AuditLog
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, got := range log.Entries {
		if _, ok := want[got.RequestID]; !ok {
			continue // the token creations of the setup
		}
		seen[got.RequestID]++
		w := want[got.RequestID]
		if got.Token != w.Token || got.Method != w.Method || got.Path != w.Path || got.Status != w.Status || got.Code != w.Code ||
			got.Fabric != w.Fabric || got.Subject != w.Subject || got.Time.IsZero() {
			t.Errorf("audit entry %+v, want %+v", got, w)
		}
	}
	for id, w := range want {
		if seen[id] != 1 {
			t.Errorf("%s %s (%s, %d) is %d times in the audit, want once", w.Method, w.Path, w.Token, w.Status, seen[id])
		}
	}
	if len(log.Entries) != len(want)+3 { // + the three creations of the setup
		t.Errorf("%d audit entries, want %d", len(log.Entries), len(want)+3)
	}
	// The statuses cover success and each kind of failure.
	statuses := map[int]bool{}
	for _, w := range want {
		statuses[w.Status] = true
	}
	for _, s := range []int{200, 201, 202, 400, 403, 404, 409} {
		if !statuses[s] {
			t.Errorf("no audited call answered %d", s)
		}
	}
	// Newest first, and the fabric filter.
	seqOf := func(e access.AuditEntry) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(e.RequestID, "test-"))
		return n
	}
	for i := 1; i < len(log.Entries); i++ {
		if seqOf(log.Entries[i]) >= seqOf(log.Entries[i-1]) {
			t.Fatalf("entry %d (%s) is not older than entry %d (%s)", i, log.Entries[i].RequestID, i-1, log.Entries[i-1].RequestID)
		}
	}
	_, raw = e.do(admin, "GET", "/api/v1/audit?fabric=dc2", nil)
	var dc2 access.AuditLog
	if err := json.Unmarshal(raw, &dc2); err != nil || len(dc2.Entries) != 3 {
		t.Fatalf("audit of dc2: %s", raw)
	}
	for _, got := range dc2.Entries {
		if got.Fabric != "dc2" {
			t.Fatalf("audit of dc2 holds %+v", got)
		}
	}
}

// TestDashboardNeedsAdmin: the dashboard takes the bootstrap token or a
// stored admin token, as the basic-auth password or a bearer token, and
// refuses every other token.
func TestDashboardNeedsAdmin(t *testing.T) {
	e := newAccessEnv(t)
	admin := e.create("ops", access.RoleAdmin, []string{"*"}, "")
	trigger := e.create("ci", access.RoleTrigger, []string{"*"}, "")
	tests := []struct {
		name, basic, bearer string
		status              int
		code                string
	}{
		{"nothing", "", "", 401, "FGD_6002"},
		{"wrong password", "wrong", "", 401, "FGD_6002"},
		{"bootstrap as password", bootstrapToken, "", 200, ""},
		{"bootstrap as bearer", "", bootstrapToken, 200, ""},
		{"stored admin as password", admin, "", 200, ""},
		{"stored admin as bearer", "", admin, 200, ""},
		{"trigger token", trigger, "", 403, "FGD_6003"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.server.URL+"/monitoring/api/queues", nil)
			if tc.basic != "" {
				req.SetBasicAuth("anyone", tc.basic)
			}
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			e.bodies.Write(raw)
			if resp.StatusCode != tc.status || (tc.code != "" && errorCode(raw) != tc.code) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, raw, tc.status, tc.code)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}
