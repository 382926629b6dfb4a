package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// TestRouterErrors: the production router's own answers (unknown route, wrong method,
// missing credentials) carry the API request codes, and a 405 lists the
// methods the path does serve in Allow, mounted admin routes included.
func TestRouterErrors(t *testing.T) {
	const token = testAdminToken
	srv := httptest.NewServer(openWebhook(t, testredis.NewPrivate(t, testredis.Options{}), io.Discard, nil))
	defer srv.Close()

	tests := []struct {
		name, method, path string
		token              string
		status             int
		code               string
		allow              string
	}{
		{name: "GET on the webhook", method: "GET", path: "/webhooks/github", status: 405, code: "FGD_6005", allow: "POST"},
		{name: "DELETE on healthz", method: "DELETE", path: "/healthz", status: 405, code: "FGD_6005", allow: "GET"},
		{name: "POST on a fabric", method: "POST", path: "/api/v1/fabrics/dc1", token: token, status: 405, code: "FGD_6005", allow: "GET, PUT, DELETE"},
		{name: "PATCH on the fabric list", method: "PATCH", path: "/api/v1/fabrics", token: token, status: 405, code: "FGD_6005", allow: "GET, POST"},
		{name: "GET on a manual sync", method: "GET", path: "/api/v1/fabrics/dc1/sync", token: token, status: 405, code: "FGD_6005", allow: "POST"},
		{name: "unknown route", method: "GET", path: "/nope", status: 404, code: "FGD_6004"},
		{name: "unknown admin route", method: "GET", path: "/api/v1/nope", token: token, status: 404, code: "FGD_6004"},
		{name: "admin without a token", method: "GET", path: "/api/v1/fabrics", status: 401, code: "FGD_6002"},
		{name: "admin with a wrong token", method: "GET", path: "/api/v1/fabrics", token: "wrong-token", status: 401, code: "FGD_6002"},
		{name: "monitoring without a password", method: "GET", path: "/monitoring/", status: 401, code: "FGD_6002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var out struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("body %q is not an error answer: %v", body, err)
			}
			if resp.StatusCode != tc.status || string(out.Error.Code) != tc.code || out.Error.Message == "" {
				t.Fatalf("%d %s, want %d %s: %s", resp.StatusCode, out.Error.Code, tc.status, tc.code, body)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
			if tc.allow != "" && !strings.Contains(out.Error.Message, tc.method) {
				t.Fatalf("the message does not name the method: %q", out.Error.Message)
			}
		})
	}
}

// TestVersionEndpoint: GET /version answers the build, as fgd_build_info
// and --version show it.
func TestVersionEndpoint(t *testing.T) {
	srv := httptest.NewServer(openWebhook(t, testredis.NewPrivate(t, testredis.Options{}), io.Discard, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/version")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Version, Commit, Go string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 || got.Version == "" || !strings.HasPrefix(got.Go, "go") {
		t.Fatalf("status %d, %+v, %v", resp.StatusCode, got, err)
	}
}
