package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/registry"
)

// TestAdminRefusesCloneURLNotAllowed: POST and PUT of a fabric whose
// clone_url is off the allow list answer 400 FGD_2002 naming clone_url;
// the fabric is not stored and the URL is never contacted.
func TestAdminRefusesCloneURLNotAllowed(t *testing.T) {
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	var contacted atomic.Int32
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { contacted.Add(1) }))
	defer remote.Close()

	const token = "admin-token-remotes"
	reg := registry.New(rdb, testredis.Unique("admin-remotes")+":")
	queue := testredis.Unique("admin-remotes")
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.DeleteQueue(queue, true) })
	api := &AdminAPI{Token: []byte(token), Registry: reg, Queue: asynq.NewClientFromRedisClient(rdb), TaskOptions: []asynq.Option{asynq.Queue(queue)},
		Logger: slog.New(slog.DiscardHandler), Remotes: github.AllowedRemotes{"https://github.com/", "http://127.0.0.1:1/git/"}}
	srv := httptest.NewServer(NewRouter(RouterConfig{Admin: api.Routes(), Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	call := func(method, path string, body map[string]any) (int, errorBody) {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out errorBody
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	fabric := func(name, cloneURL string) map[string]any {
		return map[string]any{"name": name, "repository": "acme/x", "clone_url": cloneURL, "sync_interval": "0"}
	}
	if st, out := call("POST", "/api/v1/fabrics", fabric("ok", "http://127.0.0.1:1/git/x.git")); st != http.StatusCreated {
		t.Fatalf("an allowed clone URL: %d %+v", st, out)
	}
	tests := []struct{ name, method, path, fabric, url string }{
		{"create, another host", "POST", "/api/v1/fabrics", "dc1", remote.URL + "/x.git"},
		{"create, local path", "POST", "/api/v1/fabrics", "dc1", "/srv/git/x.git"},
		{"create, file URL", "POST", "/api/v1/fabrics", "dc1", "file:///srv/git/x.git"},
		{"create, plain http to GitHub", "POST", "/api/v1/fabrics", "dc1", "http://github.com/acme/x.git"},
		{"update, another host", "PUT", "/api/v1/fabrics/ok", "ok", remote.URL + "/x.git"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, out := call(tc.method, tc.path, fabric(tc.fabric, tc.url))
			if st != http.StatusBadRequest || out.Error.Code != "FGD_2002" || !strings.HasPrefix(out.Error.Message, "clone_url: ") ||
				!strings.Contains(out.Error.Message, "HEDGEHOG_FGD_GIT_ALLOWED_URLS") {
				t.Fatalf("want 400 FGD_2002 naming clone_url, got %d %+v", st, out)
			}
		})
	}
	if _, err := reg.Fabric(t.Context(), "dc1"); err == nil {
		t.Fatal("a refused fabric was stored")
	}
	if f, err := reg.Fabric(t.Context(), "ok"); err != nil || f.CloneURL != "http://127.0.0.1:1/git/x.git" {
		t.Fatalf("a refused update changed the fabric: %+v %v", f, err)
	}
	if n := contacted.Load(); n != 0 {
		t.Fatalf("the clone URL was contacted %d times", n)
	}
}
