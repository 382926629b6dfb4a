// Package buildinfo says which build of fgd-sync is running: the version
// and commit the build stamped into the binary, and the Go toolchain. The
// binaries print it for --version, log it first, serve it on /version and
// export it as fgd_build_info (package buildinfometrics, so that this one,
// which fgdctl links, needs no Prometheus).
package buildinfo

import (
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
)

// Version and Commit are set by the build:
//
//	go build -ldflags "-X github.com/githedgehog/fgd-sync/internal/buildinfo.Version=v1.2.3 \
//	                   -X github.com/githedgehog/fgd-sync/internal/buildinfo.Commit=<sha>"
//
// They are the only package-level variables allowed in this module: the
// linker's -X flag can only write a package-level string variable, and it
// writes it before main starts. Nothing assigns them at run time; read them
// through Get.
var (
	Version string
	Commit  string
)

// Unknown stands for a version or commit neither the build nor the Go
// toolchain recorded.
const Unknown = "unknown"

// Info identifies a build.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

// Get returns this binary's build: the -ldflags values when set, else what
// the Go toolchain recorded (the module version, and vcs.revision when built
// inside a git checkout).
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, bi, runtime.Version())
}

// resolve prefers the stamped values, then the toolchain's build info.
func resolve(version, commit string, bi *debug.BuildInfo, goVersion string) Info {
	info := Info{Version: version, Commit: commit, Go: goVersion}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Commit == "" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					info.Commit = s.Value
				}
			}
		}
		if info.Go == "" {
			info.Go = bi.GoVersion
		}
	}
	if info.Version == "" {
		info.Version = Unknown
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	return info
}

// String is the --version line, e.g. "v1.2.3 (commit 0a1b2c3, go1.26.8)".
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, %s)", i.Version, i.Commit, i.Go)
}

// LogValue lets a logger record the build as one group: slog.Any("build", info).
func (i Info) LogValue() slog.Value {
	return slog.GroupValue(slog.String("version", i.Version), slog.String("commit", i.Commit), slog.String("go", i.Go))
}
