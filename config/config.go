// Package config turns the environment and command-line flags into one typed,
// validated Config. It is read once in each cmd and handed down as a value;
// no other package reads the environment.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every variable fgd-sync reads.
const Prefix = "HEDGEHOG_FGD_"

// Variable names, as docs/contract.md lists them.
const (
	VarRedisURL          = Prefix + "REDIS_URL"
	VarListenAddr        = Prefix + "LISTEN_ADDR"
	VarWebhookSecret     = Prefix + "GITHUB_WEBHOOK_SECRET"
	VarAdminToken        = Prefix + "ADMIN_TOKEN"
	VarGitHubToken       = Prefix + "GITHUB_TOKEN"
	VarGitHubAppID       = Prefix + "GITHUB_APP_ID"
	VarGitHubAppKeyFile  = Prefix + "GITHUB_APP_PRIVATE_KEY_FILE"
	VarGitHubAPIURL      = Prefix + "GITHUB_API_URL"
	VarWorkerPoolSize    = Prefix + "WORKER_POOL_SIZE"
	VarSyncTimeout       = Prefix + "SYNC_TIMEOUT"
	VarMetricsEnabled    = Prefix + "METRICS_ENABLED"
	VarDataDir           = Prefix + "DATA_DIR"
	VarFabricsFile       = Prefix + "FABRICS_FILE"
	VarGitAuthorName     = Prefix + "GIT_AUTHOR_NAME"
	VarGitAuthorEmail    = Prefix + "GIT_AUTHOR_EMAIL"
	VarDashboardReadOnly = Prefix + "DASHBOARD_READONLY"
	VarLogLevel          = Prefix + "LOG_LEVEL"
	VarWorkerMetricsAddr = Prefix + "WORKER_METRICS_ADDR"

	VarGitAllowedURLs     = Prefix + "GIT_ALLOWED_URLS"
	VarMaxCheckoutBytes   = Prefix + "MAX_CHECKOUT_BYTES"
	VarMaxCheckoutFiles   = Prefix + "MAX_CHECKOUT_FILES"
	VarMaxRawBytes        = Prefix + "MAX_RAW_BYTES"
	VarWebhookMemoryBytes = Prefix + "WEBHOOK_MEMORY_BYTES"
	VarAdminListenAddr    = Prefix + "ADMIN_LISTEN_ADDR"
	VarRedisMinReplicas   = Prefix + "REDIS_MIN_REPLICAS"
	VarRedisWaitTimeout   = Prefix + "REDIS_WAIT_TIMEOUT"
	VarShutdownTimeout    = Prefix + "SHUTDOWN_TIMEOUT"
)

// Role says which process is loading the configuration, because each one
// needs a different set of values to be present.
type Role int

const (
	// RoleWebhook is cmd/webhook: it needs the webhook secret and admin token
	// unless it runs on the embedded Redis, where it may generate them.
	RoleWebhook Role = iota
	// RoleWorker is cmd/worker: it needs no webhook secret.
	RoleWorker
)

// Secret holds a credential. Its String, GoString, LogValue and MarshalJSON
// never show the value, so a Config can be printed, logged through slog or
// encoded as JSON without leaking anything.
type Secret string

// LogValue redacts the value in slog, whatever the handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts the value in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// String redacts the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the value under %#v too.
func (s Secret) GoString() string { return s.String() }

// Reveal returns the secret's value, for the one place that must use it.
func (s Secret) Reveal() string { return string(s) }

// Config is the whole configuration of a process.
type Config struct {
	// RedisURL is empty when the embedded in-memory Redis is to be used.
	RedisURL          Secret // a URL may carry a password
	ListenAddr        string
	WebhookSecrets    []Secret
	AdminToken        Secret
	GitHubToken       Secret
	GitHubAppID       int64
	GitHubAppKeyFile  string
	GitHubAPIURL      string
	WorkerPoolSize    int
	SyncTimeout       time.Duration
	MetricsEnabled    bool
	DataDir           string
	FabricsFile       string
	GitAuthorName     string
	GitAuthorEmail    string
	DashboardReadOnly bool
	LogLevel          string
	// WorkerMetricsAddr is where a standalone worker serves /healthz and
	// /metrics (DefaultWorkerMetricsAddr unless set).
	WorkerMetricsAddr string

	// GitAllowedURLs are the URL prefixes a clone URL must start with
	// (each scheme://host[:port]/[path/], lower-case scheme and host).
	GitAllowedURLs []string
	// MaxCheckoutBytes and MaxCheckoutFiles bound what a sync checks out.
	MaxCheckoutBytes int64
	MaxCheckoutFiles int
	// MaxRawBytes bounds the raw/ bytes one sync ingests.
	MaxRawBytes int64
	// WebhookMemoryBytes is the memory budget shared by all request bodies.
	WebhookMemoryBytes int64
	// AdminListenAddr, when set, serves /api/v1, /monitoring/ and /metrics
	// there only; the public listener keeps the webhook and probes.
	AdminListenAddr string
	// RedisMinReplicas > 0 makes enqueues wait (WAIT) until that many
	// replicas hold them, for at most RedisWaitTimeout.
	RedisMinReplicas int
	RedisWaitTimeout time.Duration
	// ShutdownTimeout is how long running tasks get to finish on SIGTERM.
	ShutdownTimeout time.Duration
}

// Embedded reports whether the process should run on the embedded Redis.
func (c Config) Embedded() bool { return c.RedisURL == "" }

// Error is a configuration error. It names the variable and says what is
// wrong without ever repeating a secret value.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// ErrHelp is returned when -h or --help was asked for.
var ErrHelp = flag.ErrHelp

// Defaults that a user who sets nothing gets.
const (
	DefaultListenAddr     = ":8080"
	DefaultGitHubAPIURL   = "https://api.github.com/"
	DefaultWorkerPoolSize = 10
	DefaultSyncTimeout    = 10 * time.Minute
	DefaultDataDir        = "./data"
	DefaultAuthorName     = "fgd-sync"
	DefaultAuthorEmail    = "fgd-sync@users.noreply.github.com"
	DefaultLogLevel       = "info"
	// DefaultWorkerMetricsAddr gives every worker a health endpoint for
	// container health checks, and its metrics.
	DefaultWorkerMetricsAddr = ":9091"

	DefaultMaxCheckoutBytes   = 256 << 20
	DefaultMaxCheckoutFiles   = 100_000
	DefaultMaxRawBytes        = 64 << 20
	DefaultWebhookMemoryBytes = 64 << 20
	DefaultRedisWaitTimeout   = 500 * time.Millisecond
	DefaultShutdownTimeout    = 25 * time.Second
)

// variable describes one setting: its environment name, its flag and whether
// it is a secret that may come from a _FILE.
type variable struct {
	env    string
	usage  string
	secret bool
}

var variables = []variable{
	{VarRedisURL, "redis://, rediss:// or redis-sentinel:// URL; empty runs the embedded in-memory Redis", true},
	{VarListenAddr, "address the webhook server listens on", false},
	{VarWebhookSecret, "GitHub webhook secret; comma-separated for rotation", true},
	{VarAdminToken, "bearer token for the admin API and dashboard", true},
	{VarGitHubToken, "token for GitHub (git and REST API)", true},
	{VarGitHubAppID, "GitHub App ID, for App authentication instead of a token", false},
	{VarGitHubAppKeyFile, "path to the GitHub App private key (PEM)", false},
	{VarGitHubAPIURL, "GitHub API base URL (GHES, tests)", false},
	{VarWorkerPoolSize, "worker concurrency", false},
	{VarSyncTimeout, "how long one sync may run", false},
	{VarMetricsEnabled, "serve /metrics", false},
	{VarDataDir, "where the repository cache lives", false},
	{VarFabricsFile, "YAML file of fabrics upserted into the registry at start-up", false},
	{VarGitAuthorName, "commit author name", false},
	{VarGitAuthorEmail, "commit author email", false},
	{VarDashboardReadOnly, "make the Asynqmon dashboard read-only", false},
	{VarLogLevel, "debug, info, warn or error", false},
	{VarWorkerMetricsAddr, "where cmd/worker serves /healthz and /metrics (default :9091)", false},
	{VarGitAllowedURLs, "comma-separated URL prefixes a clone URL must start with (default: https://github.com/, or the GHES host of the API URL)", false},
	{VarMaxCheckoutBytes, "most bytes a sync may check out", false},
	{VarMaxCheckoutFiles, "most files a sync may check out", false},
	{VarMaxRawBytes, "most bytes of raw/ one sync ingests", false},
	{VarWebhookMemoryBytes, "memory budget shared by all request bodies", false},
	{VarAdminListenAddr, "when set, the admin API, dashboard and /metrics are served only on this address", false},
	{VarRedisMinReplicas, "replicas that must hold an enqueue before it is acknowledged (WAIT); 0: off", false},
	{VarRedisWaitTimeout, "how long an enqueue waits for its replicas", false},
	{VarShutdownTimeout, "how long running tasks get to finish on SIGTERM", false},
}

// FlagName is the command-line flag that overrides an environment variable:
// HEDGEHOG_FGD_WORKER_POOL_SIZE becomes -worker-pool-size.
func FlagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, Prefix)), "_", "-")
}

// Load reads the configuration for role from args (without the program name)
// and the environment given by getenv. Flags override variables; a secret's
// _FILE variant is read when the secret itself is unset. The error is an
// *Error for any invalid value, or ErrHelp.
func Load(role Role, args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("fgd-sync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagValues := make(map[string]*string, len(variables))
	for _, v := range variables {
		flagValues[v.env] = fs.String(FlagName(v.env), "", v.usage+" (env "+v.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, ErrHelp
		}
		return Config{}, &Error{Var: "flags", Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return Config{}, &Error{Var: "flags", Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	raw := make(map[string]string, len(variables))
	for _, v := range variables {
		if set[FlagName(v.env)] {
			raw[v.env] = *flagValues[v.env]
			continue
		}
		val := getenv(v.env)
		if val == "" && v.secret {
			fileVar := v.env + "_FILE"
			if path := getenv(fileVar); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return Config{}, &Error{Var: fileVar, Msg: "cannot read the file: " + describeFileError(err)}
				}
				val = strings.TrimSpace(string(b))
				if val == "" {
					return Config{}, &Error{Var: fileVar, Msg: "the file is empty"}
				}
			}
		}
		raw[v.env] = strings.TrimSpace(val)
	}
	return build(role, raw)
}

// describeFileError says why a file could not be read without quoting it.
func describeFileError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	default:
		return "read failed"
	}
}

func build(role Role, raw map[string]string) (Config, error) {
	c := Config{
		ListenAddr:     DefaultListenAddr,
		GitHubAPIURL:   DefaultGitHubAPIURL,
		WorkerPoolSize: DefaultWorkerPoolSize,
		SyncTimeout:    DefaultSyncTimeout,
		MetricsEnabled: true,
		DataDir:        DefaultDataDir,
		GitAuthorName:  DefaultAuthorName,
		GitAuthorEmail: DefaultAuthorEmail,
		LogLevel:       DefaultLogLevel,

		WorkerMetricsAddr: DefaultWorkerMetricsAddr,

		MaxCheckoutBytes:   DefaultMaxCheckoutBytes,
		MaxCheckoutFiles:   DefaultMaxCheckoutFiles,
		MaxRawBytes:        DefaultMaxRawBytes,
		WebhookMemoryBytes: DefaultWebhookMemoryBytes,
		RedisWaitTimeout:   DefaultRedisWaitTimeout,
		ShutdownTimeout:    DefaultShutdownTimeout,
	}
	var err error

	if v := raw[VarRedisURL]; v != "" {
		if err := ValidateRedisURL(v); err != nil {
			return Config{}, &Error{Var: VarRedisURL, Msg: err.Error()}
		}
		c.RedisURL = Secret(v)
	}
	if v := raw[VarListenAddr]; v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			return Config{}, &Error{Var: VarListenAddr, Msg: fmt.Sprintf("must be host:port such as :8080, got %q", v)}
		}
		c.ListenAddr = v
	}
	if v := raw[VarWebhookSecret]; v != "" {
		for i, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				return Config{}, &Error{Var: VarWebhookSecret, Msg: fmt.Sprintf("secret number %d of the comma-separated list is empty", i+1)}
			}
			c.WebhookSecrets = append(c.WebhookSecrets, Secret(s))
		}
	}
	c.AdminToken = Secret(raw[VarAdminToken])
	c.GitHubToken = Secret(raw[VarGitHubToken])

	if v := raw[VarGitHubAppID]; v != "" {
		if c.GitHubAppID, err = strconv.ParseInt(v, 10, 64); err != nil || c.GitHubAppID <= 0 {
			return Config{}, &Error{Var: VarGitHubAppID, Msg: fmt.Sprintf("must be a positive integer, got %q", v)}
		}
	}
	c.GitHubAppKeyFile = raw[VarGitHubAppKeyFile]
	switch {
	case c.GitHubAppID != 0 && c.GitHubAppKeyFile == "":
		return Config{}, &Error{Var: VarGitHubAppKeyFile, Msg: "is required when " + VarGitHubAppID + " is set"}
	case c.GitHubAppID == 0 && c.GitHubAppKeyFile != "":
		return Config{}, &Error{Var: VarGitHubAppID, Msg: "is required when " + VarGitHubAppKeyFile + " is set"}
	case c.GitHubAppKeyFile != "":
		if _, err := os.Stat(c.GitHubAppKeyFile); err != nil {
			return Config{}, &Error{Var: VarGitHubAppKeyFile, Msg: "cannot read the key file: " + describeFileError(err)}
		}
	}

	if v := raw[VarGitHubAPIURL]; v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, &Error{Var: VarGitHubAPIURL, Msg: fmt.Sprintf("must be an absolute http(s) URL, got %q", v)}
		}
		if !strings.HasSuffix(v, "/") {
			v += "/" // go-github requires the trailing slash
		}
		c.GitHubAPIURL = v
	}
	if v := raw[VarWorkerPoolSize]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return Config{}, &Error{Var: VarWorkerPoolSize, Msg: fmt.Sprintf("must be an integer from 1 to 1000, got %q", v)}
		}
		c.WorkerPoolSize = n
	}
	if v := raw[VarSyncTimeout]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return Config{}, &Error{Var: VarSyncTimeout, Msg: fmt.Sprintf("must be a duration of at least 1s such as 10m, got %q", v)}
		}
		c.SyncTimeout = d
	}
	if c.MetricsEnabled, err = parseBool(VarMetricsEnabled, raw[VarMetricsEnabled], true); err != nil {
		return Config{}, err
	}
	if c.DashboardReadOnly, err = parseBool(VarDashboardReadOnly, raw[VarDashboardReadOnly], false); err != nil {
		return Config{}, err
	}
	if v := raw[VarDataDir]; v != "" {
		c.DataDir = v
	}
	if v := raw[VarFabricsFile]; v != "" {
		if _, err := os.Stat(v); err != nil {
			return Config{}, &Error{Var: VarFabricsFile, Msg: fmt.Sprintf("cannot read %q: %s", v, describeFileError(err))}
		}
		c.FabricsFile = v
	}
	if v := raw[VarGitAuthorName]; v != "" {
		if strings.ContainsAny(v, "<>\n") {
			return Config{}, &Error{Var: VarGitAuthorName, Msg: fmt.Sprintf("must not contain <, > or a newline, got %q", v)}
		}
		c.GitAuthorName = v
	}
	if v := raw[VarGitAuthorEmail]; v != "" {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return Config{}, &Error{Var: VarGitAuthorEmail, Msg: fmt.Sprintf("must be a plain email address such as bot@example.com, got %q", v)}
		}
		c.GitAuthorEmail = v
	}
	if v := raw[VarWorkerMetricsAddr]; v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			return Config{}, &Error{Var: VarWorkerMetricsAddr, Msg: fmt.Sprintf("must be host:port such as :9091, got %q", v)}
		}
		c.WorkerMetricsAddr = v
	}
	if err := buildLimits(&c, raw); err != nil {
		return Config{}, err
	}
	if c.GitAllowedURLs, err = parseAllowedURLs(raw[VarGitAllowedURLs], c.GitHubAPIURL); err != nil {
		return Config{}, err
	}
	if v := raw[VarAdminListenAddr]; v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			return Config{}, &Error{Var: VarAdminListenAddr, Msg: fmt.Sprintf("must be host:port such as 127.0.0.1:9090, got %q", v)}
		}
		c.AdminListenAddr = v
	}
	if v := raw[VarLogLevel]; v != "" {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
		default:
			return Config{}, &Error{Var: VarLogLevel, Msg: fmt.Sprintf("must be debug, info, warn or error, got %q", v)}
		}
	}

	// Production needs real credentials; the embedded development mode may
	// generate them (cmd/webhook does, and prints them).
	if role == RoleWebhook && !c.Embedded() {
		if len(c.WebhookSecrets) == 0 {
			return Config{}, &Error{Var: VarWebhookSecret, Msg: "is required (or " + VarWebhookSecret + "_FILE)"}
		}
		if c.AdminToken == "" {
			return Config{}, &Error{Var: VarAdminToken, Msg: "is required (or " + VarAdminToken + "_FILE)"}
		}
	}
	if role == RoleWorker && c.Embedded() {
		return Config{}, &Error{Var: VarRedisURL, Msg: "is required for a standalone worker (make run starts one inside the webhook process on the embedded Redis)"}
	}
	return c, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

func parseBool(name, v string, def bool) (bool, error) {
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &Error{Var: name, Msg: fmt.Sprintf("must be true or false, got %q", v)}
	}
	return b, nil
}

// ValidateRedisURL checks a Redis URL's shape. Its errors never quote the URL,
// which may hold a password.
func ValidateRedisURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("is not a valid URL (expected redis://[user:password@]host:port[/db], rediss://… or redis-sentinel://host:port[,host:port]?master=name)")
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return errors.New("has no host (expected redis://host:port[/db])")
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 0 {
				return errors.New("has a path that is not a database number (expected redis://host:port/0)")
			}
		}
	case "redis-sentinel":
		if u.Host == "" {
			return errors.New("has no sentinel addresses (expected redis-sentinel://host:port[,host:port]?master=name)")
		}
		if u.Query().Get("master") == "" {
			return errors.New("needs ?master=<name> for Sentinel")
		}
	default:
		return fmt.Errorf("has scheme %q; use redis://, rediss:// or redis-sentinel://", u.Scheme)
	}
	return nil
}

// PrintUsage lists every variable and the flag that overrides it.
func PrintUsage(w io.Writer, program string) {
	fmt.Fprintf(w, "usage: %s [-flag value]...\n\nEvery flag overrides the environment variable of the same meaning.\nSecrets may also be read from a file named by VAR_FILE.\n\n", program)
	for _, v := range variables {
		fmt.Fprintf(w, "  -%-24s %s\n      %s\n", FlagName(v.env), v.env, v.usage)
	}
}

// buildLimits reads the resource limits and the Redis acknowledgement and
// shutdown settings.
func buildLimits(c *Config, raw map[string]string) error {
	var err error
	if c.MaxCheckoutBytes, err = parseInt64(VarMaxCheckoutBytes, raw[VarMaxCheckoutBytes], c.MaxCheckoutBytes, 1); err != nil {
		return err
	}
	files, err := parseInt64(VarMaxCheckoutFiles, raw[VarMaxCheckoutFiles], int64(c.MaxCheckoutFiles), 1)
	if err != nil {
		return err
	}
	c.MaxCheckoutFiles = int(files)
	if c.MaxRawBytes, err = parseInt64(VarMaxRawBytes, raw[VarMaxRawBytes], c.MaxRawBytes, 1); err != nil {
		return err
	}
	if c.WebhookMemoryBytes, err = parseInt64(VarWebhookMemoryBytes, raw[VarWebhookMemoryBytes], c.WebhookMemoryBytes, 1<<20); err != nil {
		return err
	}
	replicas, err := parseInt64(VarRedisMinReplicas, raw[VarRedisMinReplicas], 0, 0)
	if err != nil {
		return err
	}
	c.RedisMinReplicas = int(replicas)
	if c.RedisWaitTimeout, err = parseDuration(VarRedisWaitTimeout, raw[VarRedisWaitTimeout], c.RedisWaitTimeout, time.Millisecond); err != nil {
		return err
	}
	if c.ShutdownTimeout, err = parseDuration(VarShutdownTimeout, raw[VarShutdownTimeout], c.ShutdownTimeout, time.Second); err != nil {
		return err
	}
	return nil
}

func parseInt64(name, v string, def, min int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		return 0, &Error{Var: name, Msg: fmt.Sprintf("must be an integer of at least %d, got %q", min, v)}
	}
	return n, nil
}

func parseDuration(name, v string, def, min time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		return 0, &Error{Var: name, Msg: fmt.Sprintf("must be a duration of at least %s such as 500ms, got %q", min, v)}
	}
	return d, nil
}

// parseAllowedURLs reads the clone URL prefixes. Each must be
// scheme://host[:port]/[path/], ending in "/"; scheme and host are
// lower-cased. The default is https://github.com/, or the GHES host of the
// API URL.
func parseAllowedURLs(v, apiURL string) ([]string, error) {
	if v == "" {
		return []string{DefaultAllowedURL(apiURL)}, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		u, err := url.Parse(p)
		if err != nil || u.Scheme == "" || !strings.HasSuffix(p, "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			(u.Scheme != "file" && u.Host == "") {
			return nil, &Error{Var: VarGitAllowedURLs, Msg: fmt.Sprintf("each prefix must be scheme://host[:port]/[path/] ending in /, got %q", p)}
		}
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		out = append(out, u.String())
	}
	return out, nil
}

// DefaultAllowedURL is https://github.com/, or https://<host>/ when the API
// URL names a GitHub Enterprise Server host.
func DefaultAllowedURL(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || strings.EqualFold(u.Hostname(), "api.github.com") {
		return "https://github.com/"
	}
	return "https://" + strings.ToLower(u.Host) + "/"
}
