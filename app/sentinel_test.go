package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/app"
	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/redisgroup"
	"github.com/githedgehog/fgd-sync/jobs"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// TestSentinelWiring runs the production wiring on a real master, a real
// replica and three real Sentinels, through a redis-sentinel:// URL with
// database 5, an ACL user and password for the master and another user and
// password for the Sentinels. A webhook delivery, an admin API sync and the
// scheduler's periodic sync are all consumed by the worker from database 5,
// where Asynqmon and the admin API's inspector see the queue, the worker
// and the schedule; database 0 is never written.
func TestSentinelWiring(t *testing.T) {
	const db = 5
	g := redisgroup.Start(t, redisgroup.Options{Replicas: 1, Sentinels: 3,
		Password: "master-pw", User: "fgd", UserPassword: "fgd-user-pw", SentinelUser: "sentinel-user", SentinelPassword: "sentinel-pw"})
	url := g.SentinelURL(db)
	w := newWorld(t, url, "1s")
	w.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")

	public, _ := w.webhook(nil)
	wk, err := app.NewWorker(w.open(config.RoleWorker, nil), app.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	wk.ScheduleRefresh = 200 * time.Millisecond
	w.startWorker(wk)

	conn, err := redisconn.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := conn.NewClient()
	defer rdb.Close()
	st := store.New(rdb, "")

	// Enqueued by the webhook.
	code, out := push(t, public.URL, "sentinel-delivery-1", w.git.Head("main"), "raw/vpc.yaml")
	if code != http.StatusAccepted || len(syncIDs(out)) != 1 {
		t.Fatalf("webhook: %d %v", code, out)
	}
	if rec := waitRecord(t, st, syncIDs(out)[0], time.Minute); rec.State != store.StateSucceeded {
		t.Fatalf("webhook sync %+v", rec)
	}
	// Enqueued by the admin API.
	waitFor(t, 30*time.Second, "a manual sync to be accepted", func() bool {
		code, out = call(t, http.MethodPost, public.URL+"/api/v1/fabrics/dc1/sync", "")
		return code == http.StatusAccepted
	})
	manual, _ := out["sync_id"].(string)
	waitRecord(t, st, manual, time.Minute)
	// Enqueued by the scheduler (sync_interval 1s).
	waitFor(t, time.Minute, "a scheduled sync to finish", func() bool {
		recs, err := st.ListRecords(context.Background(), "dc1", 50)
		if err != nil {
			return false
		}
		for _, r := range recs {
			if r.Trigger == string(jobs.TriggerScheduled) && r.State != store.StateRunning && r.State != store.StateQueued {
				return true
			}
		}
		return false
	})

	// Asynqmon sees, in database 5, the queue the worker consumed, the
	// worker itself and the scheduler's entries.
	var queues struct {
		Queues []struct {
			Queue     string `json:"queue"`
			Processed int    `json:"processed"`
		} `json:"queues"`
	}
	monitoring(t, public.URL+"/monitoring/api/queues", &queues)
	processed := -1
	for _, q := range queues.Queues {
		if q.Queue == jobs.DefaultQueue {
			processed = q.Processed
		}
	}
	if processed < 3 {
		t.Fatalf("Asynqmon shows %d tasks processed in queue %s, want at least 3: %+v", processed, jobs.DefaultQueue, queues)
	}
	var servers struct {
		Servers []struct {
			Queues map[string]int `json:"queue_priorities"`
		} `json:"servers"`
	}
	monitoring(t, public.URL+"/monitoring/api/servers", &servers)
	if len(servers.Servers) != 1 {
		t.Fatalf("Asynqmon shows %d workers, want 1: %+v", len(servers.Servers), servers)
	}
	// The scheduler publishes its entries on its heartbeat (every 5 s).
	waitFor(t, 30*time.Second, "Asynqmon to show the fabric's schedule", func() bool {
		var entries struct {
			Entries []struct {
				Spec     string `json:"spec"`
				TaskType string `json:"task_type"`
			} `json:"entries"`
		}
		monitoring(t, public.URL+"/monitoring/api/scheduler_entries", &entries)
		for _, e := range entries.Entries {
			if e.TaskType == jobs.TypeSync && e.Spec == "@every 1s" {
				return true
			}
		}
		return false
	})
	// The admin API's inspector sees the same worker.
	code, health := call(t, http.MethodGet, public.URL+"/api/v1/health", "")
	if workers, _ := health["workers"].([]any); code != http.StatusOK || len(workers) != 1 {
		t.Fatalf("admin health: %d %v", code, health)
	}

	// Nothing went to database 0, on the master or the replica.
	for _, n := range append([]*redisgroup.Node{g.Master}, g.Replicas...) {
		c := g.Client(n, 0)
		keys, err := c.Keys(context.Background(), "*").Result()
		_ = c.Close()
		if err != nil || len(keys) != 0 {
			t.Fatalf("database 0 of %s holds %v (%v)", n.Addr(), keys, err)
		}
		c = g.Client(n, db)
		keys, err = c.Keys(context.Background(), "asynq:{"+jobs.DefaultQueue+"}:*").Result()
		_ = c.Close()
		if err != nil || len(keys) == 0 {
			t.Fatalf("database %d of %s holds no queue: %v", db, n.Addr(), err)
		}
	}
	if strings.Contains(w.logs.String(), "fgd-user-pw") || strings.Contains(w.logs.String(), "sentinel-pw") {
		t.Fatal("a Redis password appears in the logs")
	}
}

// monitoring GETs an Asynqmon API path with the dashboard's basic auth.
func monitoring(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("admin", adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
