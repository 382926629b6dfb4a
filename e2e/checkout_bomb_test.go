package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/store"
)

// TestCheckoutBomb is the measured case of the checkout limits: one 4 MiB
// comment-only blob committed at 100 paths under raw/ packs to a few KiB
// but would check out to 400 MiB. The worker process refuses it from the
// objects' sizes (FGD_1006) before checking anything out; its peak RSS
// stays at most 256 MiB and its data dir at most 300 MiB.
func TestCheckoutBomb(t *testing.T) {
	const copies, blobSize = 100, 4 << 20
	e := newEnv(t, envOptions{})
	files := commitBomb(t, e.git, copies, blobSize)
	p := e.startProcess(gitToken)

	rec := e.waitRecord(e.push("delivery-bomb", files...)[0], 2*time.Minute)
	if rec.State != store.StateFailed || len(rec.Errors) == 0 || rec.Errors[len(rec.Errors)-1].Code != fgderr.LimitExceeded {
		t.Fatalf("want a failed sync with FGD_1006, got %+v", rec)
	}
	peak := vmHWM(t, p.cmd.Process.Pid)
	disk := treeSize(t, p.dataDir)
	t.Logf("checkout bomb: %d paths x %d MiB = %d MiB if checked out; worker peak RSS (VmHWM) %.1f MiB; data dir %.2f MiB; error: %s",
		copies, blobSize>>20, copies*blobSize>>20, float64(peak)/(1<<20), float64(disk)/(1<<20), rec.Errors[len(rec.Errors)-1].Message)
	if peak > 256<<20 {
		t.Errorf("worker peak RSS %d bytes, over 256 MiB", peak)
	}
	if disk > 300<<20 {
		t.Errorf("data dir %d bytes, over 300 MiB", disk)
	}
	if tree := e.git.Tree("main"); len(gittest.Files(tree, "managed/")) != 0 {
		t.Error("the refused sync wrote to the branch")
	}
}

// commitBomb pushes one commit holding the same comment-only blob at n
// paths under raw/, made with git plumbing so that the test never checks
// it out either. It returns the paths.
func commitBomb(t *testing.T, srv *gittest.Server, n, size int) []string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "bomb")
	run := func(stdin []byte, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Mallory", "GIT_AUTHOR_EMAIL=m@example.com", "GIT_COMMITTER_NAME=Mallory", "GIT_COMMITTER_EMAIL=m@example.com")
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "clone", "--quiet", "--no-checkout", srv.BareDir, work).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	line := []byte("# " + strings.Repeat("padding ", 15) + "\n")
	blob := bytes.Repeat(line, size/len(line)+1)[:size]
	blob[size-1] = '\n'
	hash := run(blob, "hash-object", "-w", "--stdin")
	run(nil, "read-tree", "HEAD")
	var info strings.Builder
	var files []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("raw/bomb-%03d.yaml", i)
		files = append(files, name)
		fmt.Fprintf(&info, "100644 %s\t%s\n", hash, name)
	}
	run([]byte(info.String()), "update-index", "--add", "--index-info")
	run(nil, "commit", "--quiet", "-m", "the same blob at many paths")
	run(nil, "push", "--quiet", "origin", "HEAD:main")
	return files
}

// vmHWM is a process's peak resident set size, from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the worker's peak RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// treeSize sums the sizes of the files below dir.
func treeSize(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}
