package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/buildinfo"
	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// scrape GETs /metrics from srv as Prometheus would and returns the
// samples as "name{label="value",...}" → value, labels sorted, with a
// histogram's _count, _sum and _bucket series.
func scrape(t *testing.T, srv *httptest.Server) map[string]float64 {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the scrape is not in the exposition format: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := func(suffix string, extra ...string) string {
				return name + suffix + "{" + strings.Join(append(append([]string(nil), labels...), extra...), ",") + "}"
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[key("")] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			case dto.MetricType_SUMMARY:
				out[key("_count")] = float64(m.GetSummary().GetSampleCount())
			}
		}
	}
	return out
}

func hasPrefix(samples map[string]float64, prefix string) bool {
	for k := range samples {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func serve(t *testing.T, r *Registry) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", r.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func openRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestRegistryServes: each kind of registry serves the process collectors,
// the build and, with Redis, asynq's queues; a worker's adds the sync
// metrics once something is recorded.
func TestRegistryServes(t *testing.T) {
	rdb := openRedis(t)
	queue := testredis.Unique("metrics-serves")
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask("x", nil), asynq.Queue(queue)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(queue, true) })
	info := buildinfo.Get()
	build := fmt.Sprintf("fgd_build_info{commit=%q,go=%q,version=%q}", info.Commit, info.Go, info.Version)
	queueSize := fmt.Sprintf("asynq_queue_size{queue=%q}", queue)
	tests := []struct {
		name      string
		build     func() (*Registry, *jobs.SyncMetrics, error)
		wantQueue bool
	}{
		{"webhook without Redis", func() (*Registry, *jobs.SyncMetrics, error) { r, err := NewRegistry(Options{}); return r, nil, err }, false},
		{"webhook", func() (*Registry, *jobs.SyncMetrics, error) {
			r, err := NewRegistry(Options{Redis: rdb})
			return r, nil, err
		}, true},
		{"worker", func() (*Registry, *jobs.SyncMetrics, error) {
			w, err := NewWorkerRegistry(Options{Redis: rdb})
			if err != nil {
				return nil, nil, err
			}
			return w.Registry, w.Syncs, nil
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, syncs, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			syncs.SetFabrics([]fabrics.Fabric{{Name: "dc1", SyncInterval: fabrics.NewDuration(time.Minute)}})
			// Each registry has its own breakers: a host this one called
			// shows here and nowhere else.
			if err := r.Breakers.Do("git.example.com", func() error { return nil }); err != nil {
				t.Fatal(err)
			}
			got := scrape(t, serve(t, r))
			want := map[string]float64{build: 1, `fgd_circuit_breaker_state{host="git.example.com"}`: 0}
			if tc.wantQueue {
				want[queueSize] = 1
				want[fmt.Sprintf("asynq_tasks_enqueued_total{queue=%q,state=\"pending\"}", queue)] = 1
			}
			if syncs != nil {
				want[`fgd_fabric_sync_interval_seconds{fabric="dc1"}`] = 60
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			for _, prefix := range []string{"go_goroutines{", "process_cpu_seconds_total{"} {
				if !hasPrefix(got, prefix) {
					t.Errorf("no %s... series", prefix)
				}
			}
			if !tc.wantQueue && hasPrefix(got, "asynq_") {
				t.Error("asynq's queue metrics without Redis")
			}
			if syncs == nil && hasPrefix(got, "fgd_fabric_sync_interval_seconds{") {
				t.Error("sync metrics on a registry that runs no syncs")
			}
		})
	}
}

// commandCounter counts the Redis commands a client sends.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// TestQueueMetricsAtScrapeTime: building the registry does not touch
// Redis (a process starts with Redis down); every scrape reads it anew.
func TestQueueMetricsAtScrapeTime(t *testing.T) {
	rs := testredis.New(t)
	opt, err := redis.ParseURL(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	var count commandCounter
	rdb.AddHook(&count)
	r, err := NewWorkerRegistry(Options{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	if n := count.n.Load(); n != 0 {
		t.Fatalf("building the registry sent %d Redis commands", n)
	}
	queue := testredis.Unique("metrics-scrape")
	t.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(queue, true) })
	srv := serve(t, r.Registry)
	size := fmt.Sprintf("asynq_queue_size{queue=%q}", queue)
	client := asynq.NewClientFromRedisClient(rdb)
	for want := 1; want <= 3; want++ {
		if _, err := client.Enqueue(asynq.NewTask("x", nil), asynq.Queue(queue)); err != nil {
			t.Fatal(err)
		}
		before := count.n.Load()
		if got := scrape(t, srv)[size]; got != float64(want) {
			t.Fatalf("%s = %v after %d enqueues", size, got, want)
		}
		if count.n.Load() == before {
			t.Fatal("the scrape did not read Redis")
		}
	}
}

// replica is one worker process as far as metrics go: its own registry
// and /metrics, its own asynq server and sync handler, on the shared Redis.
type replica struct {
	reg *WorkerRegistry
	srv *httptest.Server
}

func startReplica(t *testing.T, rdb redis.UniversalClient, queue, prefix string, list []fabrics.Fabric, bundle *ingestion.Bundle) *replica {
	t.Helper()
	reg, err := NewWorkerRegistry(Options{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sync := &jobs.SyncHandler{Logger: log, Fabrics: fabrics.NewStaticIndex(list), Store: store.New(rdb, prefix),
		Repos: jobs.GitCache{RepoCache: &gitcache.RepoCache{Dir: t.TempDir(), Breakers: reg.Breakers,
			Allowed: github.AllowedRemotes{"http://127.0.0.1:"}}}, // the test's own loopback git server, on a port not known yet
		Queue: asynq.NewClientFromRedisClient(rdb), Bundle: bundle, Metrics: reg.Syncs}
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeSync, sync.HandleSyncTask)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{queue: 1}, LogLevel: asynq.FatalLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return &replica{reg: reg, srv: serve(t, reg.Registry)}
}

// TestTwoWorkerReplicas scrapes two worker replicas on one Redis: both
// serve asynq's queue metrics for the same queue, and after a real sync
// (git http-backend, real ingestion) fgd_syncs_total has moved on exactly
// the replica that ran it, with its stage durations, its last-success
// time and its own breaker.
func TestTwoWorkerReplicas(t *testing.T) {
	rdb := openRedis(t)
	queue := testredis.Unique("metrics-replicas")
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.DeleteQueue(queue, true) })
	prefix := testredis.Unique("metrics") + ":"

	git := gittest.New(t, gittest.Options{})
	git.Commit(map[string]string{"raw/vpc-1.yaml": "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets:\n    default:\n      subnet: 10.3.233.0/24\n      vlan: 1001\n"}, nil, "add a VPC")
	list, err := fabrics.Parse([]byte("fabrics:\n  - {name: dc1, repository: acme/x, clone_url: " + git.RepoURL() + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}

	// A sync task waits in the queue before any worker runs: both replicas
	// see it, whichever will take it.
	task, err := jobs.NewSyncTask(jobs.SyncPayload{SyncID: "sync-metrics-1", Fabric: "dc1", Trigger: jobs.TriggerWebhook, DeliveryID: "d-1"}, asynq.Queue(queue))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(task); err != nil {
		t.Fatal(err)
	}
	var replicas [2]*replica
	for i := range replicas {
		reg, err := NewWorkerRegistry(Options{Redis: rdb})
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = &replica{reg: reg, srv: serve(t, reg.Registry)}
	}
	pending := fmt.Sprintf("asynq_tasks_enqueued_total{queue=%q,state=\"pending\"}", queue)
	size := fmt.Sprintf("asynq_queue_size{queue=%q}", queue)
	for i, r := range replicas {
		got := scrape(t, r.srv)
		if got[pending] != 1 || got[size] != 1 {
			t.Fatalf("replica %d: %s = %v, %s = %v; want 1 and 1", i, pending, got[pending], size, got[size])
		}
		if hasPrefix(got, "fgd_syncs_total{") {
			t.Fatalf("replica %d counts syncs before any ran", i)
		}
	}

	// Now the two replicas run, as workers do.
	for i := range replicas {
		replicas[i] = startReplica(t, rdb, queue, prefix, list, bundle)
	}
	succeeded := `fgd_syncs_total{fabric="dc1",state="succeeded",trigger="webhook"}`
	processed := fmt.Sprintf("asynq_tasks_processed_total{queue=%q}", queue)
	var scrapes [2]map[string]float64
	deadline := time.Now().Add(time.Minute)
	for {
		for i, r := range replicas {
			scrapes[i] = scrape(t, r.srv)
		}
		// The handler counts the sync before asynq marks the task done.
		if scrapes[0][succeeded]+scrapes[1][succeeded] >= 1 && scrapes[1][processed] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			rec, err := store.New(rdb, prefix).GetRecord(context.Background(), "sync-metrics-1")
			t.Fatalf("no replica counted the sync within a minute; record %+v (%v)", rec, err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronization
	}
	ran, idle := 0, 1
	if scrapes[1][succeeded] == 1 {
		ran, idle = 1, 0
	}
	if scrapes[ran][succeeded] != 1 || hasPrefix(scrapes[idle], "fgd_syncs_total{") {
		t.Fatalf("fgd_syncs_total: replica %d %v, replica %d %v; want the sync counted once, on one replica",
			ran, scrapes[ran][succeeded], idle, scrapes[idle][succeeded])
	}
	u, err := url.Parse(git.URL)
	if err != nil {
		t.Fatal(err)
	}
	breaker := fmt.Sprintf("fgd_circuit_breaker_state{host=%q}", u.Host)
	for _, want := range []string{
		`fgd_sync_duration_seconds_count{fabric="dc1",stage="fetch"}`,
		`fgd_sync_duration_seconds_count{fabric="dc1",stage="ingest"}`,
		`fgd_sync_duration_seconds_count{fabric="dc1",stage="push"}`,
		`fgd_last_successful_sync_timestamp_seconds{fabric="dc1"}`,
		breaker,
	} {
		if _, ok := scrapes[ran][want]; !ok {
			t.Errorf("replica %d that ran the sync has no %s", ran, want)
		}
		if _, ok := scrapes[idle][want]; ok {
			t.Errorf("idle replica %d has %s", idle, want)
		}
	}
	if v := scrapes[ran][breaker]; v != 0 {
		t.Errorf("%s = %v, want 0 (closed)", breaker, v)
	}
	for i, s := range scrapes {
		if s[processed] < 1 || s[pending] != 0 {
			t.Errorf("replica %d: %s = %v, %s = %v; want the processed task on both replicas, none pending", i, processed, s[processed], pending, s[pending])
		}
	}
	rec, err := store.New(rdb, prefix).GetRecord(context.Background(), "sync-metrics-1")
	if err != nil || rec.State != store.StateSucceeded || rec.Commit == "" || git.Head("main") != rec.Commit {
		t.Fatalf("record %+v (%v), remote head %s: the sync must have pushed", rec, err, git.Head("main"))
	}
}
