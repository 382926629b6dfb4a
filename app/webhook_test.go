package app_test

import (
	"net/http"
	"testing"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// TestAdminListener: with HEDGEHOG_FGD_ADMIN_LISTEN_ADDR set, the public
// listener serves only the webhook and the probes, and the admin API, the
// dashboard and /metrics are served on the admin listener only; without it,
// the public listener serves everything.
func TestAdminListener(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	w := newWorld(t, rs.URL, "0")
	head := w.git.Head("main")
	splitPublic, splitAdmin := w.webhook(map[string]string{config.VarAdminListenAddr: "127.0.0.1:0"})
	onePublic, noAdmin := w.webhook(nil)
	if noAdmin != nil {
		t.Fatal("an admin handler without HEDGEHOG_FGD_ADMIN_LISTEN_ADDR")
	}

	type listener struct {
		name string
		url  string
	}
	public, admin, single := listener{"public", splitPublic.URL}, listener{"admin", splitAdmin.URL}, listener{"single", onePublic.URL}
	tests := []struct {
		on     listener
		path   string
		status int
	}{
		{public, "/webhooks/github", http.StatusAccepted},
		{public, "/healthz", http.StatusOK},
		{public, "/readyz", http.StatusOK},
		{public, "/api/v1/fabrics", http.StatusNotFound},
		{public, "/monitoring/", http.StatusNotFound},
		{public, "/metrics", http.StatusNotFound},
		{admin, "/webhooks/github", http.StatusNotFound},
		{admin, "/api/v1/fabrics", http.StatusOK},
		{admin, "/monitoring/", http.StatusOK},
		{admin, "/metrics", http.StatusOK},
		{single, "/webhooks/github", http.StatusAccepted},
		{single, "/api/v1/fabrics", http.StatusOK},
		{single, "/monitoring/", http.StatusOK},
		{single, "/metrics", http.StatusOK},
	}
	for i, tc := range tests {
		t.Run(tc.on.name+tc.path, func(t *testing.T) {
			var status int
			var out map[string]any
			if tc.path == "/webhooks/github" {
				status, out = push(t, tc.on.url, "admin-listener-"+tc.on.name+string(rune('a'+i)), head, "raw/x.yaml")
			} else {
				req, _ := http.NewRequest(http.MethodGet, tc.on.url+tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+adminToken)
				if tc.path == "/monitoring/" {
					req.SetBasicAuth("admin", adminToken)
				}
				status, out = do(t, req)
			}
			if status != tc.status {
				t.Fatalf("%d %v, want %d", status, out, tc.status)
			}
			if status == http.StatusNotFound && errCode(out) != "FGD_6004" {
				t.Fatalf("404 without FGD_6004: %v", out)
			}
		})
	}
}
