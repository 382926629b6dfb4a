package buildinfo

import (
	"debug/buildinfo"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.99.1",
		Main:      debug.Module{Path: "github.com/githedgehog/fgd-sync", Version: "v0.3.0"},
		Settings:  []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"}},
	}
	devel := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/githedgehog/fgd-sync", Version: "(devel)"}}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		goVersion       string
		want            Info
	}{
		{"ldflags win over build info", "v1.2.3", "feedface", vcs, "go1.26.8", Info{"v1.2.3", "feedface", "go1.26.8"}},
		{"build info fills what ldflags left out", "", "", vcs, "go1.26.8", Info{"v0.3.0", "0123abcd", "go1.26.8"}},
		{"only the version stamped", "v1.2.3", "", vcs, "go1.26.8", Info{"v1.2.3", "0123abcd", "go1.26.8"}},
		{"(devel) is not a version", "", "", devel, "go1.26.8", Info{Unknown, Unknown, "go1.26.8"}},
		{"no build info at all", "", "", nil, "go1.26.8", Info{Unknown, Unknown, "go1.26.8"}},
		{"Go version from build info when runtime gives none", "", "", vcs, "", Info{"v0.3.0", "0123abcd", "go1.99.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.version, tt.commit, tt.bi, tt.goVersion); got != tt.want {
				t.Fatalf("resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	got := Info{Version: "v1.2.3", Commit: "0a1b2c3", Go: "go1.26.8"}.String()
	if want := "v1.2.3 (commit 0a1b2c3, go1.26.8)"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// TestLinkerStamp builds a real binary the way the Makefile and the
// Dockerfile do, so a renamed package or variable breaks this test rather
// than silently leaving releases unversioned. Unstamped, the binary must
// report what the toolchain recorded in it (read back with debug/buildinfo,
// as `go version -m` does); whether that includes a commit depends on git
// and on -buildvcs, so the test compares rather than assumes.
func TestLinkerStamp(t *testing.T) {
	const pkg = "github.com/githedgehog/fgd-sync/internal/buildinfo"
	tests := []struct {
		name    string
		ldflags string
		stamped *Info
	}{
		{"stamped", "-X " + pkg + ".Version=v9.8.7-test -X " + pkg + ".Commit=c0ffee", &Info{Version: "v9.8.7-test", Commit: "c0ffee", Go: runtime.Version()}},
		{"unstamped falls back to the toolchain's build info", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "printbuild")
			build := exec.Command("go", "build", "-ldflags", tt.ldflags, "-o", bin, "./testdata/printbuild")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			out, err := exec.Command(bin).Output()
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var got Info
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			var want Info
			if tt.stamped != nil {
				want = *tt.stamped
			} else {
				recorded, err := buildinfo.ReadFile(bin)
				if err != nil {
					t.Fatal(err)
				}
				want = resolve("", "", recorded, runtime.Version())
			}
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}
