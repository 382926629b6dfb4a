package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/internal/buildinfo"
	"github.com/githedgehog/fgd-sync/syncrecord"
)

// commandPaths lists every command of the tree, as the words that call it.
func commandPaths(c *cobra.Command, prefix []string) [][]string {
	var out [][]string
	for _, sub := range c.Commands() {
		p := append(append([]string{}, prefix...), sub.Name())
		out = append(out, p)
		out = append(out, commandPaths(sub, p)...)
	}
	return out
}

// recordingEnv is an environment that notes every variable asked for.
type recordingEnv struct {
	mu    sync.Mutex
	asked []string
}

func (r *recordingEnv) getenv(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, k)
	return ""
}

// TestHelpEverywhere runs --help and -h on every command of the tree, so a
// new command is covered as soon as it is added: exit 0, the help on stdout,
// nothing on stderr, and no variable read (so no token needed).
func TestHelpEverywhere(t *testing.T) {
	root := newRootCommand(&env{getenv: noEnv, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	paths := append([][]string{nil}, commandPaths(root, nil)...)
	seen := map[string]bool{}
	for _, p := range paths {
		seen[strings.Join(p, " ")] = true
	}
	// The walk must reach the deepest commands, or the test proves little.
	for _, want := range []string{"fabric add", "fabric rm", "sync", "health", "version", "completion fish", "validate", "token create", "token rm", "audit"} {
		if !seen[want] {
			t.Fatalf("the command walk missed %q; it found %v", want, paths)
		}
	}
	for _, p := range paths {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string{}, p...), flag)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var rec recordingEnv
				code, out, errOut := fgdctlEnv(rec.getenv, args...)
				if code != exitOK || !strings.Contains(out, "Usage:") || errOut != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q; want 0, the usage on stdout, nothing on stderr", code, out, errOut)
				}
				if len(rec.asked) > 0 {
					t.Fatalf("--help read the environment: %v", rec.asked)
				}
			})
		}
	}
}

// TestLocalExitCodes: usage errors exit 2 with a message on stderr and
// nothing on stdout; failed results exit 1. Commands that call the API are
// in TestAdminExitCodes.
func TestLocalExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	write(t, bad, badVPC)
	fgd := filepath.Join(t.TempDir(), "dc1")
	write(t, filepath.Join(fgd, "raw", "bad.yaml"), badVPC)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no command", nil, exitUsage},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"unknown subcommand", []string{"fabric", "frobnicate"}, exitUsage},
		{"group without subcommand", []string{"fabric"}, exitUsage},
		{"unknown flag", []string{"version", "--colour"}, exitUsage},
		{"unknown flag after an argument", []string{"ingest", fgd, "--colour"}, exitUsage},
		{"bad output format", []string{"version", "-o", "xml"}, exitUsage},
		{"too many arguments", []string{"version", "extra"}, exitUsage},
		{"missing argument", []string{"status"}, exitUsage},
		{"completion for an unknown shell", []string{"completion", "tcsh"}, exitUsage},
		{"admin command without a token", []string{"health"}, exitUsage},
		{"fabric add with neither file nor flags", []string{"fabric", "add", "--token", "t"}, exitUsage},
		{"fabric add with both", []string{"fabric", "add", "-f", bad, "--name", "dc1", "--token", "t"}, exitUsage},
		{"bad sync interval", []string{"fabric", "add", "--name", "dc1", "--repository", "a/b", "--sync-interval", "often", "--token", "t"}, exitUsage},
		{"limit out of range", []string{"syncs", "dc1", "--limit", "0", "--token", "t"}, exitUsage},
		{"not an http URL", []string{"health", "--url", "ftp://x", "--token", "t"}, exitUsage},
		{"token without subcommand", []string{"token", "--token", "t"}, exitUsage},
		{"token create without a name", []string{"token", "create", "--role", "read", "--fabrics", "dc1", "--token", "t"}, exitUsage},
		{"token create without a role", []string{"token", "create", "ci", "--fabrics", "dc1", "--token", "t"}, exitUsage},
		{"token create with an unknown role", []string{"token", "create", "ci", "--role", "owner", "--fabrics", "dc1", "--token", "t"}, exitUsage},
		{"token create without fabrics", []string{"token", "create", "ci", "--role", "read", "--token", "t"}, exitUsage},
		{"token create with a bad lifetime", []string{"token", "create", "ci", "--role", "read", "--fabrics", "dc1", "--expires-in", "soon", "--token", "t"}, exitUsage},
		{"token create living too long", []string{"token", "create", "ci", "--role", "read", "--fabrics", "dc1", "--expires-in", "9000h", "--token", "t"}, exitUsage},
		{"token list with an argument", []string{"token", "list", "ci", "--token", "t"}, exitUsage},
		{"token rm without a name", []string{"token", "rm", "--token", "t"}, exitUsage},
		{"token create without a token", []string{"token", "create", "ci", "--role", "read", "--fabrics", "dc1"}, exitUsage},
		{"audit limit out of range", []string{"audit", "--limit", "1001", "--token", "t"}, exitUsage},
		{"audit with an argument", []string{"audit", "dc1", "--token", "t"}, exitUsage},
		{"validate rejects a file", []string{"validate", bad}, exitRejected},
		{"ingest rejects a file, flags after the folder", []string{"ingest", fgd, "--dry-run", "-o", "json"}, exitRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := fgdctl(tc.args...)
			if code != tc.code || errOut == "" {
				t.Fatalf("exit %d, stderr %q; want %d with a message", code, errOut, tc.code)
			}
			if tc.code == exitUsage && out != "" {
				t.Fatalf("a usage error wrote to stdout: %q", out)
			}
			if tc.code == exitUsage && !strings.Contains(errOut, "--help' for usage") {
				t.Fatalf("a usage error does not point to --help: %q", errOut)
			}
		})
	}
}

// TestLocalOutputs: ingest prints the sync record in JSON and YAML, the
// same record both ways; version prints the build.
func TestLocalOutputs(t *testing.T) {
	fgd := filepath.Join(t.TempDir(), "dc1")
	write(t, filepath.Join(fgd, "raw", "vpc.yaml"), goodVPC)
	write(t, filepath.Join(fgd, "raw", "bad.yaml"), badVPC)
	decoded := map[output]syncrecord.Record{}
	for _, o := range []output{outputJSON, outputYAML} {
		code, out, _ := fgdctl("ingest", "--dry-run", fgd, "-o", string(o))
		var rec syncrecord.Record
		if err := yaml.UnmarshalStrict([]byte(out), &rec); err != nil || code != exitRejected {
			t.Fatalf("ingest -o %s: exit %d, %v\n%s", o, code, err, out)
		}
		if rec.Fabric != "dc1" || rec.State != syncrecord.StatePartial || !rec.ValidateOnly || rec.Counts.ResourcesCreated != 1 ||
			len(rec.Errors) != 1 || rec.Errors[0].File != "raw/bad.yaml" || rec.StartedAt == nil || rec.FinishedAt == nil {
			t.Fatalf("ingest -o %s: record %+v", o, rec)
		}
		// Times and durations differ between the two runs; the rest must not.
		rec.Stages, rec.CreatedAt, rec.StartedAt, rec.FinishedAt = nil, time.Time{}, nil, nil
		decoded[o] = rec
	}
	if a, b := mustJSON(t, decoded[outputJSON]), mustJSON(t, decoded[outputYAML]); a != b {
		t.Fatalf("JSON and YAML differ:\n%s\n%s", a, b)
	}

	want := buildinfo.Get()
	code, out, _ := fgdctl("version", "-o", "yaml")
	var got buildinfo.Info
	if err := yaml.UnmarshalStrict([]byte(out), &got); err != nil || code != 0 || got != want || got.Go == "" {
		t.Fatalf("version -o yaml: exit %d, %v, %+v, want %+v", code, err, got, want)
	}
	if code, out, _ := fgdctl("version"); code != 0 || !strings.Contains(out, want.Version) || !strings.Contains(out, want.Commit) || !strings.Contains(out, want.Go) {
		t.Fatalf("version: exit %d\n%s", code, out)
	}
}

// TestCompletionScripts generates the completion script of each shell and,
// when the shell is installed, has it parse the script.
func TestCompletionScripts(t *testing.T) {
	tests := []struct {
		shell  string
		marker string
		check  []string // the shell's parse-only command, the script's path appended
	}{
		{"bash", "complete -o default -F __start_fgdctl fgdctl", []string{"bash", "-n"}},
		{"zsh", "#compdef fgdctl", []string{"zsh", "-n"}},
		{"fish", "complete -c fgdctl", []string{"fish", "--no-execute"}},
	}
	for _, tc := range tests {
		t.Run(tc.shell, func(t *testing.T) {
			code, out, errOut := fgdctl("completion", tc.shell)
			if code != 0 || errOut != "" || !strings.Contains(out, tc.marker) {
				t.Fatalf("exit %d, stderr %q; script lacks %q:\n%.300s", code, errOut, tc.marker, out)
			}
			if _, err := exec.LookPath(tc.check[0]); err != nil {
				t.Logf("%s is not installed: the script is generated but not parsed", tc.shell)
				return
			}
			script := filepath.Join(t.TempDir(), "fgdctl."+tc.shell)
			if err := os.WriteFile(script, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(tc.check[0], append(tc.check[1:], script)...).CombinedOutput(); err != nil {
				t.Fatalf("%s does not parse the script: %v\n%s", tc.shell, err, b)
			}
		})
	}
}

// TestLinksNoServerCode keeps fgdctl a client (docs/architecture.md): it
// shares types with the server through adminapi and syncrecord, but links
// no Redis, queue, git, Prometheus or server package (the token and audit
// bodies are adminapi's, which access aliases).
func TestLinksNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/redis/", "github.com/hibiken/", "github.com/go-git/go-git/v5/plumbing/transport",
			"github.com/githedgehog/fgd-sync/store", "github.com/githedgehog/fgd-sync/jobs", "github.com/githedgehog/fgd-sync/github",
			"github.com/githedgehog/fgd-sync/handlers", "github.com/githedgehog/fgd-sync/registry",
			"github.com/prometheus/", "github.com/githedgehog/fgd-sync/access"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("fgdctl links %s", dep)
			}
		}
	}
}
