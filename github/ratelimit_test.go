package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/githedgehog/fgd-sync/internal/githubfake"
)

const rateLimitHelp = `# HELP fgd_github_rate_limit_limit GitHub API requests allowed per rate-limit window (X-RateLimit-Limit of the last answer).
# TYPE fgd_github_rate_limit_limit gauge
# HELP fgd_github_rate_limit_remaining GitHub API requests left in the current rate-limit window (X-RateLimit-Remaining of the last answer).
# TYPE fgd_github_rate_limit_remaining gauge
# HELP fgd_github_rate_limit_reset_timestamp_seconds Unix time the current GitHub rate-limit window resets (X-RateLimit-Reset of the last answer).
# TYPE fgd_github_rate_limit_reset_timestamp_seconds gauge
`

var rateLimitNames = []string{"fgd_github_rate_limit_remaining", "fgd_github_rate_limit_limit", "fgd_github_rate_limit_reset_timestamp_seconds"}

// TestRateLimitHeaders feeds answers with GitHub's headers through the
// transport and reads the gauges after each.
func TestRateLimitHeaders(t *testing.T) {
	type answer struct {
		installation string
		headers      map[string]string
		status       int
	}
	hdr := func(remaining, limit, reset string) map[string]string {
		return map[string]string{"X-RateLimit-Remaining": remaining, "X-RateLimit-Limit": limit, "X-RateLimit-Reset": reset}
	}
	tests := []struct {
		name    string
		answers []answer
		want    string
	}{
		{"a token's answer", []answer{{TokenInstallation, hdr("4999", "5000", "1700003600"), 200}}, `
fgd_github_rate_limit_limit{installation="token"} 5000
fgd_github_rate_limit_remaining{installation="token"} 4999
fgd_github_rate_limit_reset_timestamp_seconds{installation="token"} 1.7000036e+09
`},
		{"installations keep budgets of their own", []answer{
			{"77", hdr("100", "5000", "1700003600"), 200},
			{"78", hdr("14000", "15000", "1700007200"), 200},
		}, `
fgd_github_rate_limit_limit{installation="77"} 5000
fgd_github_rate_limit_limit{installation="78"} 15000
fgd_github_rate_limit_remaining{installation="77"} 100
fgd_github_rate_limit_remaining{installation="78"} 14000
fgd_github_rate_limit_reset_timestamp_seconds{installation="77"} 1.7000036e+09
fgd_github_rate_limit_reset_timestamp_seconds{installation="78"} 1.7000072e+09
`},
		{"a late answer of the same window does not raise the budget", []answer{
			{"77", hdr("4000", "5000", "1700003600"), 200},
			{"77", hdr("4001", "5000", "1700003600"), 200},
		}, `
fgd_github_rate_limit_limit{installation="77"} 5000
fgd_github_rate_limit_remaining{installation="77"} 4000
fgd_github_rate_limit_reset_timestamp_seconds{installation="77"} 1.7000036e+09
`},
		{"a new window starts over", []answer{
			{"77", hdr("3", "5000", "1700003600"), 200},
			{"77", hdr("4999", "5000", "1700007200"), 200},
		}, `
fgd_github_rate_limit_limit{installation="77"} 5000
fgd_github_rate_limit_remaining{installation="77"} 4999
fgd_github_rate_limit_reset_timestamp_seconds{installation="77"} 1.7000072e+09
`},
		{"a rate-limited 403 counts", []answer{{TokenInstallation, hdr("0", "5000", "1700003600"), 403}}, `
fgd_github_rate_limit_limit{installation="token"} 5000
fgd_github_rate_limit_remaining{installation="token"} 0
fgd_github_rate_limit_reset_timestamp_seconds{installation="token"} 1.7000036e+09
`},
		{"the search budget is not the core one", []answer{
			{"77", hdr("4000", "5000", "1700003600"), 200},
			{"77", map[string]string{"X-RateLimit-Remaining": "2", "X-RateLimit-Limit": "30", "X-RateLimit-Reset": "1700000060", "X-RateLimit-Resource": "search"}, 200},
		}, `
fgd_github_rate_limit_limit{installation="77"} 5000
fgd_github_rate_limit_remaining{installation="77"} 4000
fgd_github_rate_limit_reset_timestamp_seconds{installation="77"} 1.7000036e+09
`},
		{"no headers (GHES without rate limits)", []answer{{TokenInstallation, nil, 200}}, ``},
		{"malformed headers are ignored", []answer{
			{TokenInstallation, hdr("lots", "5000", "1700003600"), 200},
			{TokenInstallation, hdr("1", "0", "1700003600"), 200},
			{TokenInstallation, hdr("1", "5000", ""), 200},
		}, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var next answer
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range next.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(next.status)
			}))
			defer srv.Close()
			reg := prometheus.NewRegistry()
			rl, err := NewRateLimits(reg)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.answers {
				next = a
				client := &http.Client{Transport: rl.Transport(a.installation, nil)}
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				if resp.StatusCode != a.status {
					t.Fatalf("status %d, want the server's %d passed through", resp.StatusCode, a.status)
				}
			}
			want := tc.want
			if want != "" {
				want = rateLimitHelp + want
			}
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), rateLimitNames...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRateLimitTransportPassesErrors: a failed round trip records nothing
// and returns the error.
func TestRateLimitTransportPassesErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	rl, err := NewRateLimits(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := (&http.Client{Transport: rl.Transport(TokenInstallation, nil)}).Get(url); err == nil {
		t.Fatal("a closed server answered")
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Fatalf("%d series after a failed call (%v)", n, err)
	}
	var none *RateLimits
	base := http.DefaultTransport
	if none.Transport("x", base) != base {
		t.Fatal("a nil RateLimits must leave the transport alone")
	}
}

// TestRateLimitOfTokenCredentials: token credentials whose client goes
// through the transport export the budget GitHub (the fake) reports.
func TestRateLimitOfTokenCredentials(t *testing.T) {
	fake := githubfake.New(t, "tok")
	reg := prometheus.NewRegistry()
	rl, err := NewRateLimits(reg)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := NewTokenCredentials(fake.URL, "tok", &http.Client{Transport: rl.Transport(TokenInstallation, nil)})
	if err != nil {
		t.Fatal(err)
	}
	api, _ := creds.API(context.Background(), "acme/x")
	if err := api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "fgd-sync/dc1", "ok"); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(rl.remaining.WithLabelValues(TokenInstallation)); v != 4999 {
		t.Fatalf("remaining %v, want 4999", v)
	}
	reset := time.Unix(int64(testutil.ToFloat64(rl.reset.WithLabelValues(TokenInstallation))), 0)
	if until := time.Until(reset); until < 50*time.Minute || until > 61*time.Minute {
		t.Fatalf("reset in %s, want the fake's hour", until)
	}
	fake.RateLimitNext(1, time.Minute)
	_ = api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "fgd-sync/dc1", "ok")
	if v := testutil.ToFloat64(rl.remaining.WithLabelValues(TokenInstallation)); v != 0 {
		t.Fatalf("remaining %v after a rate-limited answer, want 0", v)
	}
}

// TestRateLimitOfAppInstallations: App credentials label the budget with
// the installation ID.
func TestRateLimitOfAppInstallations(t *testing.T) {
	fake := githubfake.New(t, "")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.App = &githubfake.App{ID: 4242, Key: &key.PublicKey, InstallationID: 77, InstallationToken: "ghs_installationToken0000000000001"}
	reg := prometheus.NewRegistry()
	rl, err := NewRateLimits(reg)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := NewAppCredentials(strings.TrimSuffix(fake.URL, "/"), 4242, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds.RateLimits = rl
	api, err := creds.API(context.Background(), "acme/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SetStatus(context.Background(), "acme/x", "abc", StatusSuccess, "fgd-sync/dc1", "ok"); err != nil {
		t.Fatal(err)
	}
	want := rateLimitHelp + `
fgd_github_rate_limit_limit{installation="77"} 5000
fgd_github_rate_limit_remaining{installation="77"} 4999
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_github_rate_limit_remaining", "fgd_github_rate_limit_limit"); err != nil {
		t.Fatal(err)
	}
}
