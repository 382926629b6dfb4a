package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
	"github.com/githedgehog/fgd-sync/syncrecord"
)

// BenchmarkKilledWorkerRerun measures how soon the trigger of a sync held
// by a worker process killed with SIGKILL is covered by another worker
// process (started at once), on real processes and a real Redis. asynq
// extends a task's lease (30 s) while its worker lives; once it has
// expired, the other worker hands the orphan to a follow-up sync
// (s-to-follow-up) whose record then ends (s-to-covered). asynq's own
// recoverer, every minute for tasks whose lease expired over 30 s ago,
// would take longer:
//
//	go test -run '^$' -bench KilledWorkerRerun -benchtime 1x ./cmd/worker/
func BenchmarkKilledWorkerRerun(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "fgd-worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rs := testredis.NewPrivate(b, testredis.Options{})
		git := gittest.New(b, gittest.Options{})
		git.Commit(map[string]string{"raw/vpc.yaml": "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets:\n    default:\n      subnet: 10.0.1.0/24\n      vlan: 1001\n"}, nil, "raw")
		fabricsFile := filepath.Join(b.TempDir(), "fabrics.yaml")
		if err := os.WriteFile(fabricsFile, []byte("fabrics:\n  - {name: dc1, repository: acme/x, clone_url: "+git.RepoURL()+", sync_interval: 0}\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		start := func() *exec.Cmd {
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "HEDGEHOG_FGD_REDIS_URL="+rs.URL, "HEDGEHOG_FGD_FABRICS_FILE="+fabricsFile,
				"HEDGEHOG_FGD_DATA_DIR="+b.TempDir(), "HEDGEHOG_FGD_WORKER_METRICS_ADDR=127.0.0.1:0",
				"HEDGEHOG_FGD_GIT_ALLOWED_URLS="+git.URL+"/")
			out := &syncbuf.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				if b.Failed() {
					b.Logf("worker output:\n%s", out.String())
				}
			})
			return cmd
		}
		first := start()
		inPush, release := make(chan struct{}), make(chan struct{})
		git.BeforeNextPush(func() { close(inPush); <-release })

		rdb, err := redisconn.Open(rs.URL)
		if err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("killed-%d", i)
		task, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: id, Fabric: "dc1", Trigger: jobs.TriggerManual})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(task); err != nil {
			b.Fatal(err)
		}
		select {
		case <-inPush:
		case <-time.After(time.Minute):
			b.Fatal("the first worker never pushed")
		}
		b.StartTimer()
		killed := time.Now()
		if err := first.Process.Signal(syscall.SIGKILL); err != nil {
			b.Fatal(err)
		}
		_ = first.Wait()
		close(release)
		start()

		st := store.New(rdb, "")
		deadline := killed.Add(4 * time.Minute)
		var handed time.Duration // until the orphan was handed to a follow-up
		for {
			r, err := st.GetRecord(context.Background(), id)
			if err == nil && r.CoalescedInto != "" && handed == 0 {
				handed = time.Since(killed)
			}
			if err == nil && r.CoalescedInto != "" {
				if f, ferr := st.GetRecord(context.Background(), r.CoalescedInto); ferr == nil && syncrecord.Terminal(f.State) {
					break
				}
			}
			if err == nil && r.CoalescedInto == "" && r.Attempt >= 2 && syncrecord.Terminal(r.State) {
				break // asynq's recoverer ran it again first
			}
			if time.Now().After(deadline) {
				b.Fatalf("the killed worker's sync was not covered within 4 minutes: %+v %v", r, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		covered := time.Since(killed)
		b.StopTimer()
		b.ReportMetric(handed.Seconds(), "s-to-follow-up")
		b.ReportMetric(covered.Seconds(), "s-to-covered")
		_ = rdb.Close()
	}
}
