package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

// yqVersion is the yq the ingest benchmark measures against.
const yqVersion = "v4.54.3"

// yqSplit is yq's nearest equivalent of an ingest: every document of the
// corpus, keys sorted, into a file of its own under a folder per kind.
var yqSplit = []string{"-s", `"out/" + (.kind | downcase) + "/" + .metadata.name`, "sort_keys(..)", "corpus.yaml"}

// run is one timed child process.
type childRun struct {
	wall, user, sys time.Duration
	maxRSS          int64 // bytes
}

func timeChild(b *testing.B, dir string, name string, args ...string) childRun {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	wall := time.Since(started)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return childRun{wall: wall, user: cmd.ProcessState.UserTime(), sys: cmd.ProcessState.SystemTime(), maxRSS: ru.Maxrss * 1024}
}

// findYq returns yq v4 from $YQ or PATH, else builds the pinned version
// once into the user cache (go install), else "".
func findYq(b *testing.B) string {
	b.Helper()
	isV4 := func(bin string) bool {
		out, err := exec.Command(bin, "--version").CombinedOutput()
		return err == nil && strings.Contains(string(out), "mikefarah") && strings.Contains(string(out), "version v4")
	}
	for _, c := range []string{os.Getenv("YQ"), "yq"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil && isV4(p) {
			return p
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bindir := filepath.Join(cache, "fgd-sync", "yq-"+yqVersion)
	bin := filepath.Join(bindir, "yq")
	if isV4(bin) {
		return bin
	}
	b.Logf("building yq %s into %s (once)", yqVersion, bindir)
	cmd := exec.Command("go", "install", "github.com/mikefarah/yq/v4@"+yqVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bindir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil || !isV4(bin) {
		b.Logf("go install yq: %v\n%s", err, out)
		return ""
	}
	return bin
}

// oneRawFile is the corpus as one multi-document file, as issue 13 measures.
func oneRawFile() []byte {
	files := benchcorpus.Files(benchcorpus.Copies)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	for _, n := range names {
		buf.WriteString("---\n")
		buf.Write(files[n])
	}
	return buf.Bytes()
}

func countFiles(b *testing.B, dir string) int {
	b.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != ".gitkeep" {
			n++
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkIngestVsYq runs `fgdctl ingest` on a fresh FGD folder holding the
// 10,126-document corpus as one raw file, and yq splitting the same file,
// in 5 paired runs (alternating which goes first), and prints the median
// wall times, their ratio and fgdctl's peak RSS. Run with -benchtime 1x.
func BenchmarkIngestVsYq(b *testing.B) {
	const pairs = 5
	yq := findYq(b)
	if yq == "" {
		b.Skipf("yq %s is missing and could not be built (go install github.com/mikefarah/yq/v4@%s); set YQ to a yq v4 binary", yqVersion, yqVersion)
	}
	work := b.TempDir()
	fgdctlBin := filepath.Join(work, "fgdctl")
	if out, err := exec.Command("go", "build", "-o", fgdctlBin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build fgdctl: %v\n%s", err, out)
	}
	corpus := oneRawFile()
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy

	for i := 0; i < b.N; i++ {
		var fg, yqRuns []childRun
		for pair := range pairs {
			fgdDir := filepath.Join(work, fmt.Sprintf("fgd-%d-%d", i, pair))
			yqDir := filepath.Join(work, fmt.Sprintf("yq-%d-%d", i, pair))
			if code, _, stderr := fgdctl("init", fgdDir); code != 0 {
				b.Fatalf("init: %s", stderr)
			}
			if err := os.WriteFile(filepath.Join(fgdDir, "raw", "corpus.yaml"), corpus, 0o644); err != nil {
				b.Fatal(err)
			}
			if err := os.MkdirAll(yqDir, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(yqDir, "corpus.yaml"), corpus, 0o644); err != nil {
				b.Fatal(err)
			}
			runFgd := func() { fg = append(fg, timeChild(b, work, fgdctlBin, "ingest", fgdDir)) }
			runYq := func() { yqRuns = append(yqRuns, timeChild(b, yqDir, yq, yqSplit...)) }
			if pair%2 == 0 {
				runFgd()
				runYq()
			} else {
				runYq()
				runFgd()
			}
			if n := countFiles(b, filepath.Join(fgdDir, "managed")); n != docs {
				b.Fatalf("fgdctl wrote %d managed files, want %d", n, docs)
			}
			if n := countFiles(b, filepath.Join(yqDir, "out")); n != docs {
				b.Fatalf("yq wrote %d files, want %d", n, docs)
			}
			// The folders stay until the benchmark ends (b.TempDir): on an
			// ext4 without a journal, a new inode skips those freed in the
			// last 30 s one by one, so removing 20,000 files here would charge
			// the next pair's file creation for this pair's cleanup.
		}
		pick := func(rs []childRun, f func(childRun) time.Duration) time.Duration {
			ds := make([]time.Duration, len(rs))
			for i, r := range rs {
				ds[i] = f(r)
			}
			return median(ds)
		}
		wall := func(r childRun) time.Duration { return r.wall }
		user := func(r childRun) time.Duration { return r.user }
		sys := func(r childRun) time.Duration { return r.sys }
		var peak int64
		for _, r := range fg {
			peak = max(peak, r.maxRSS)
		}
		ratio := pick(fg, wall).Seconds() / pick(yqRuns, wall).Seconds()
		fmt.Printf("ingest of %d documents in one raw file, median of %d paired runs (%d CPUs, %s/%s):\n", docs, pairs, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
		fmt.Printf("  fgdctl ingest  wall %6.3fs  user %6.3fs  sys %6.3fs  peak RSS %5.1f MiB\n",
			pick(fg, wall).Seconds(), pick(fg, user).Seconds(), pick(fg, sys).Seconds(), float64(peak)/(1<<20))
		fmt.Printf("  yq %s -s   wall %6.3fs  user %6.3fs  sys %6.3fs\n",
			yqVersion, pick(yqRuns, wall).Seconds(), pick(yqRuns, user).Seconds(), pick(yqRuns, sys).Seconds())
		spread := func(rs []childRun) string {
			ds := make([]string, len(rs))
			for i, r := range rs {
				ds[i] = fmt.Sprintf("%.2f", r.wall.Seconds())
			}
			return strings.Join(ds, " ")
		}
		fmt.Printf("  wall per pair: fgdctl %s; yq %s\n", spread(fg), spread(yqRuns))
		fmt.Printf("  fgdctl/yq wall ratio %.2f (goal <= 0.8, stretch 0.5); fgdctl peak RSS goal <= 150 MiB\n", ratio)
		b.ReportMetric(ratio, "fgdctl/yq")
		b.ReportMetric(pick(fg, wall).Seconds(), "fgdctl-s")
		b.ReportMetric(pick(yqRuns, wall).Seconds(), "yq-s")
		b.ReportMetric(float64(peak)/(1<<20), "fgdctl-peak-MiB")
	}
}
