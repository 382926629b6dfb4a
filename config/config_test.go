package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// prod is the smallest valid production webhook environment.
func prod(extra map[string]string) map[string]string {
	m := map[string]string{
		VarRedisURL:      "redis://127.0.0.1:6379/0",
		VarWebhookSecret: "whsec",
		VarAdminToken:    "admintok",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load(RoleWebhook, nil, env(prod(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8080" || c.WorkerPoolSize != 10 || c.SyncTimeout != 10*time.Minute || !c.MetricsEnabled ||
		c.GitHubAPIURL != "https://api.github.com/" || c.DataDir != "./data" || c.GitAuthorName != "fgd-sync" ||
		c.DashboardReadOnly || c.LogLevel != "info" || c.WorkerMetricsAddr != ":9091" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEveryValue(t *testing.T) {
	key := writeFile(t, "-----BEGIN RSA PRIVATE KEY-----\n")
	fabricsFile := writeFile(t, "fabrics: []\n")
	c, err := Load(RoleWebhook, nil, env(prod(map[string]string{
		VarListenAddr:        "127.0.0.1:9000",
		VarWebhookSecret:     "one, two ,three",
		VarGitHubToken:       "ghp_x",
		VarGitHubAppID:       "12345",
		VarGitHubAppKeyFile:  key,
		VarGitHubAPIURL:      "https://ghe.example.com/api/v3",
		VarWorkerPoolSize:    "4",
		VarSyncTimeout:       "90s",
		VarMetricsEnabled:    "false",
		VarDataDir:           "/var/lib/fgd",
		VarFabricsFile:       fabricsFile,
		VarGitAuthorName:     "Fabric Bot",
		VarGitAuthorEmail:    "bot@example.com",
		VarDashboardReadOnly: "true",
		VarLogLevel:          "debug",
	})))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		RedisURL: "redis://127.0.0.1:6379/0", ListenAddr: "127.0.0.1:9000",
		WebhookSecrets: []Secret{"one", "two", "three"}, AdminToken: "admintok", GitHubToken: "ghp_x",
		GitHubAppID: 12345, GitHubAppKeyFile: key, GitHubAPIURL: "https://ghe.example.com/api/v3/",
		WorkerPoolSize: 4, SyncTimeout: 90 * time.Second, MetricsEnabled: false, DataDir: "/var/lib/fgd",
		FabricsFile: fabricsFile, GitAuthorName: "Fabric Bot", GitAuthorEmail: "bot@example.com",
		DashboardReadOnly: true, LogLevel: "debug", WorkerMetricsAddr: DefaultWorkerMetricsAddr,
		GitAllowedURLs: []string{"https://ghe.example.com/"}, MaxCheckoutBytes: DefaultMaxCheckoutBytes, MaxCheckoutFiles: DefaultMaxCheckoutFiles,
		MaxRawBytes: DefaultMaxRawBytes, WebhookMemoryBytes: DefaultWebhookMemoryBytes, RedisWaitTimeout: DefaultRedisWaitTimeout,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
	if fmt.Sprintf("%#v", c) != fmt.Sprintf("%#v", want) || strings.Join(reveal(c.WebhookSecrets), ",") != "one,two,three" {
		t.Fatalf("got  %#v\nwant %#v", c, want)
	}
}

func reveal(s []Secret) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = v.Reveal()
	}
	return out
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := Load(RoleWebhook, []string{"-worker-pool-size", "7", "--listen-addr=:9999", "-github-webhook-secret", "fromflag"},
		env(prod(map[string]string{VarWorkerPoolSize: "3"})))
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkerPoolSize != 7 || c.ListenAddr != ":9999" || c.WebhookSecrets[0].Reveal() != "fromflag" {
		t.Fatalf("flags did not override: %+v", c)
	}
	// A flag set to a bad value is reported with the variable's name.
	_, err = Load(RoleWebhook, []string{"-worker-pool-size", "x"}, env(prod(nil)))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != VarWorkerPoolSize {
		t.Fatalf("bad flag value: %v", err)
	}
}

func TestSecretFiles(t *testing.T) {
	secret := writeFile(t, "from-file-1,from-file-2\n")
	token := writeFile(t, "tok-from-file\n")
	m := prod(nil)
	delete(m, VarWebhookSecret)
	delete(m, VarAdminToken)
	m[VarWebhookSecret+"_FILE"] = secret
	m[VarAdminToken+"_FILE"] = token
	m[VarGitHubToken+"_FILE"] = token
	c, err := Load(RoleWebhook, nil, env(m))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(reveal(c.WebhookSecrets), ",") != "from-file-1,from-file-2" || c.AdminToken.Reveal() != "tok-from-file" || c.GitHubToken.Reveal() != "tok-from-file" {
		t.Fatalf("secret files: %#v", c)
	}
}

func TestInvalidValues(t *testing.T) {
	missingFile := filepath.Join(t.TempDir(), "missing")
	empty := writeFile(t, "  \n")
	tests := []struct {
		name   string
		role   Role
		env    map[string]string
		varIs  string
		secret string // a value that must not appear in the message
	}{
		{"missing webhook secret", RoleWebhook, prod(map[string]string{VarWebhookSecret: ""}), VarWebhookSecret, ""},
		{"missing admin token", RoleWebhook, prod(map[string]string{VarAdminToken: ""}), VarAdminToken, ""},
		{"empty secret in the list", RoleWebhook, prod(map[string]string{VarWebhookSecret: "a,,b"}), VarWebhookSecret, ""},
		{"unreadable secret file", RoleWebhook, prod(map[string]string{VarWebhookSecret: "", VarWebhookSecret + "_FILE": missingFile}), VarWebhookSecret + "_FILE", ""},
		{"empty secret file", RoleWebhook, prod(map[string]string{VarAdminToken: "", VarAdminToken + "_FILE": empty}), VarAdminToken + "_FILE", ""},
		{"redis scheme", RoleWebhook, prod(map[string]string{VarRedisURL: "http://user:hunter2@host:6379"}), VarRedisURL, "hunter2"},
		{"redis unparsable", RoleWebhook, prod(map[string]string{VarRedisURL: "redis://:hunter2@host:6379/%zz"}), VarRedisURL, "hunter2"},
		{"redis db not a number", RoleWebhook, prod(map[string]string{VarRedisURL: "redis://:hunter2@host:6379/abc"}), VarRedisURL, "hunter2"},
		{"sentinel without master", RoleWebhook, prod(map[string]string{VarRedisURL: "redis-sentinel://:hunter2@a:26379,b:26379"}), VarRedisURL, "hunter2"},
		{"listen address", RoleWebhook, prod(map[string]string{VarListenAddr: "8080"}), VarListenAddr, ""},
		{"listen port", RoleWebhook, prod(map[string]string{VarListenAddr: ":99999"}), VarListenAddr, ""},
		{"app id", RoleWebhook, prod(map[string]string{VarGitHubAppID: "abc", VarGitHubAppKeyFile: empty}), VarGitHubAppID, ""},
		{"app id without key", RoleWebhook, prod(map[string]string{VarGitHubAppID: "1"}), VarGitHubAppKeyFile, ""},
		{"key without app id", RoleWebhook, prod(map[string]string{VarGitHubAppKeyFile: empty}), VarGitHubAppID, ""},
		{"missing key file", RoleWebhook, prod(map[string]string{VarGitHubAppID: "1", VarGitHubAppKeyFile: missingFile}), VarGitHubAppKeyFile, ""},
		{"api url", RoleWebhook, prod(map[string]string{VarGitHubAPIURL: "ftp://x"}), VarGitHubAPIURL, ""},
		{"pool size zero", RoleWebhook, prod(map[string]string{VarWorkerPoolSize: "0"}), VarWorkerPoolSize, ""},
		{"pool size text", RoleWebhook, prod(map[string]string{VarWorkerPoolSize: "ten"}), VarWorkerPoolSize, ""},
		{"sync timeout", RoleWebhook, prod(map[string]string{VarSyncTimeout: "10"}), VarSyncTimeout, ""},
		{"sync timeout too short", RoleWebhook, prod(map[string]string{VarSyncTimeout: "10ms"}), VarSyncTimeout, ""},
		{"metrics bool", RoleWebhook, prod(map[string]string{VarMetricsEnabled: "maybe"}), VarMetricsEnabled, ""},
		{"dashboard bool", RoleWebhook, prod(map[string]string{VarDashboardReadOnly: "yes please"}), VarDashboardReadOnly, ""},
		{"fabrics file", RoleWebhook, prod(map[string]string{VarFabricsFile: missingFile}), VarFabricsFile, ""},
		{"author name", RoleWebhook, prod(map[string]string{VarGitAuthorName: "Bot <x>"}), VarGitAuthorName, ""},
		{"author email", RoleWebhook, prod(map[string]string{VarGitAuthorEmail: "not an email"}), VarGitAuthorEmail, ""},
		{"log level", RoleWebhook, prod(map[string]string{VarLogLevel: "loud"}), VarLogLevel, ""},
		{"worker without redis", RoleWorker, map[string]string{}, VarRedisURL, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.role, nil, env(tc.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			if ce.Var != tc.varIs || !strings.HasPrefix(err.Error(), tc.varIs+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %q, want one line naming %s", err, tc.varIs)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("err %q leaks the password", err)
			}
		})
	}
}

func TestEmbeddedModeNeedsNoSecrets(t *testing.T) {
	c, err := Load(RoleWebhook, nil, env(map[string]string{}))
	if err != nil {
		t.Fatalf("embedded mode: %v", err)
	}
	if !c.Embedded() {
		t.Fatal("no Redis URL should mean embedded")
	}
}

func TestValidRedisURLs(t *testing.T) {
	for _, u := range []string{
		"redis://localhost:6379", "redis://:pw@localhost:6379/2", "rediss://user:pw@redis.example.com:6380/0",
		"redis-sentinel://:pw@s1:26379,s2:26379?master=mymaster",
	} {
		if err := ValidateRedisURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := Config{AdminToken: "tok-123", WebhookSecrets: []Secret{"sec-456"}, RedisURL: "redis://:pw-789@h:1"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		for _, s := range []string{"tok-123", "sec-456", "pw-789"} {
			if strings.Contains(out, s) {
				t.Fatalf("%s prints a secret: %s", format, out)
			}
		}
	}
}

func TestUnknownFlagAndHelp(t *testing.T) {
	if _, err := Load(RoleWebhook, []string{"-no-such-flag"}, env(prod(nil))); err == nil {
		t.Fatal("unknown flag accepted")
	}
	if _, err := Load(RoleWebhook, []string{"-h"}, env(prod(nil))); !errors.Is(err, ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if FlagName(VarGitHubAppKeyFile) != "github-app-private-key-file" {
		t.Fatal(FlagName(VarGitHubAppKeyFile))
	}
}

func TestNewSettings(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		check   func(Config) bool
		wantVar string // the variable the error names; "" for success
	}{
		{"defaults", nil, func(c Config) bool {
			return strings.Join(c.GitAllowedURLs, ",") == "https://github.com/" && c.MaxCheckoutBytes == 256<<20 &&
				c.MaxCheckoutFiles == 100_000 && c.MaxRawBytes == 64<<20 && c.WebhookMemoryBytes == 64<<20 &&
				c.RedisMinReplicas == 0 && c.RedisWaitTimeout == 500*time.Millisecond && c.ShutdownTimeout == 25*time.Second && c.AdminListenAddr == ""
		}, ""},
		{"allowed URLs lower-cased", map[string]string{VarGitAllowedURLs: "HTTPS://GitHub.COM/acme/, http://127.0.0.1:8080/git/"}, func(c Config) bool {
			return strings.Join(c.GitAllowedURLs, ",") == "https://github.com/acme/,http://127.0.0.1:8080/git/"
		}, ""},
		{"allowed URL without a trailing slash", map[string]string{VarGitAllowedURLs: "https://github.com"}, nil, VarGitAllowedURLs},
		{"allowed URL without a scheme", map[string]string{VarGitAllowedURLs: "github.com/"}, nil, VarGitAllowedURLs},
		{"allowed URL with credentials", map[string]string{VarGitAllowedURLs: "https://u:p@github.com/"}, nil, VarGitAllowedURLs},
		{"limits and replicas", map[string]string{VarMaxCheckoutBytes: "1000", VarMaxCheckoutFiles: "10", VarMaxRawBytes: "99",
			VarWebhookMemoryBytes: "2097152", VarRedisMinReplicas: "1", VarRedisWaitTimeout: "2s", VarShutdownTimeout: "40s",
			VarAdminListenAddr: "127.0.0.1:9090"}, func(c Config) bool {
			return c.MaxCheckoutBytes == 1000 && c.MaxCheckoutFiles == 10 && c.MaxRawBytes == 99 && c.WebhookMemoryBytes == 2<<20 &&
				c.RedisMinReplicas == 1 && c.RedisWaitTimeout == 2*time.Second && c.ShutdownTimeout == 40*time.Second && c.AdminListenAddr == "127.0.0.1:9090"
		}, ""},
		{"negative replicas", map[string]string{VarRedisMinReplicas: "-1"}, nil, VarRedisMinReplicas},
		{"memory budget under 1 MiB", map[string]string{VarWebhookMemoryBytes: "1000"}, nil, VarWebhookMemoryBytes},
		{"zero checkout bytes", map[string]string{VarMaxCheckoutBytes: "0"}, nil, VarMaxCheckoutBytes},
		{"bad wait timeout", map[string]string{VarRedisWaitTimeout: "soon"}, nil, VarRedisWaitTimeout},
		{"bad admin address", map[string]string{VarAdminListenAddr: "nowhere"}, nil, VarAdminListenAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(RoleWebhook, nil, env(prod(tt.vars)))
			if tt.wantVar != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Var != tt.wantVar {
					t.Fatalf("error %v, want one naming %s", err, tt.wantVar)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("err %v, config %#v", err, c)
			}
		})
	}
}

func TestGHESDefaultAllowedURL(t *testing.T) {
	if got := DefaultAllowedURL("https://GHE.example.com/api/v3/"); got != "https://ghe.example.com/" {
		t.Fatalf("got %q", got)
	}
	if got := DefaultAllowedURL(DefaultGitHubAPIURL); got != "https://github.com/" {
		t.Fatalf("got %q", got)
	}
}

// TestSecretRedactedInLogsAndJSON goes through the production JSON slog
// handler and encoding/json.
func TestSecretRedactedInLogsAndJSON(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	s := Secret("hunter2-very-secret")
	log.Info("config", "token", s, "config", Config{AdminToken: s, GitHubToken: s})
	b, err := json.Marshal(map[string]any{"s": s, "c": Config{AdminToken: s}})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String() + string(b)
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "[redacted]") {
		t.Fatalf("secret leaked or not redacted: %s", out)
	}
}
