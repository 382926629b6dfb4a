package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/handlers"
	"github.com/githedgehog/fgd-sync/internal/redisgroup"
	"github.com/githedgehog/fgd-sync/jobs"
)

// TestReplicatedAcknowledgement: with HEDGEHOG_FGD_REDIS_MIN_REPLICAS=1 on a
// real master and replica, a delivery is answered 202 only once the replica
// holds its task; with the replica frozen (SIGSTOP, as a partition) or gone,
// the answer is 503 FGD_5003 after the WAIT timeout, a redelivery too, and
// the admin API's enqueues likewise. Once the replica is back the
// redelivery is a 200 duplicate.
func TestReplicatedAcknowledgement(t *testing.T) {
	const db = 3
	const waitTimeout = 300 * time.Millisecond
	g := redisgroup.Start(t, redisgroup.Options{Replicas: 1, Password: "master-pw", AOF: true})
	w := newWorld(t, g.MasterURL(db), "0")
	head := w.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")
	public, _ := w.webhook(map[string]string{config.VarRedisMinReplicas: "1", config.VarRedisWaitTimeout: waitTimeout.String()})
	unreplicated, _ := w.webhook(map[string]string{config.VarRedisMinReplicas: "0"})
	replica := g.Client(g.Replicas[0], db)
	defer replica.Close()
	onReplica := func(syncID string) bool {
		n, err := replica.Exists(context.Background(), "asynq:{"+jobs.DefaultQueue+"}:t:"+syncID).Result()
		return err == nil && n == 1
	}

	steps := []struct {
		name     string
		before   func()
		server   string
		delivery string
		admin    bool
		status   int
		// redeliver sends the delivery again, for up to 15 s, until it
		// gets status.
		redeliver bool
		code      string
	}{
		{name: "replica connected", server: public.URL, delivery: "d-1", status: http.StatusAccepted},
		{name: "replica frozen", before: g.Replicas[0].Freeze, server: public.URL, delivery: "d-2", status: http.StatusServiceUnavailable, code: "FGD_5003"},
		{name: "redelivery while frozen", server: public.URL, delivery: "d-2", status: http.StatusServiceUnavailable, code: "FGD_5003"},
		{name: "admin sync while frozen", server: public.URL, admin: true, status: http.StatusServiceUnavailable, code: "FGD_5003"},
		{name: "min replicas 0 while frozen", server: unreplicated.URL, delivery: "d-3", status: http.StatusAccepted},
		{name: "redelivery once thawed", before: g.Replicas[0].Thaw, server: public.URL, delivery: "d-2", status: http.StatusOK},
		{name: "replica gone", before: g.Replicas[0].Stop, server: public.URL, delivery: "d-4", status: http.StatusServiceUnavailable, code: "FGD_5003"},
		// A replica back online may still be catching up: the delivery is
		// redelivered, as GitHub would, until accepted.
		{name: "replica restarted", before: func() { g.Replicas[0].Start(); g.WaitLinked(t, 1) }, server: public.URL, delivery: "d-5", status: http.StatusAccepted, redeliver: true},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		start := time.Now()
		var status int
		var out map[string]any
		if s.admin {
			status, out = call(t, http.MethodPost, s.server+"/api/v1/fabrics/dc1/sync", "")
		} else {
			status, out = push(t, s.server, s.delivery, head, "raw/vpc.yaml")
			for deadline := time.Now().Add(15 * time.Second); s.redeliver && status != s.status && time.Now().Before(deadline); {
				time.Sleep(200 * time.Millisecond)
				start = time.Now()
				status, out = push(t, s.server, s.delivery, head, "raw/vpc.yaml")
				if status == http.StatusOK && out["status"] == "duplicate" {
					// A refused try had written the task; the redelivery
					// is acknowledged once the replicas hold it.
					status, out = s.status, map[string]any{"status": "queued"}
				}
			}
		}
		took := time.Since(start)
		t.Logf("%s: %d %v in %s", s.name, status, out, took.Round(time.Millisecond))
		if status != s.status || errCode(out) != s.code {
			t.Fatalf("%s: %d %v, want %d %s", s.name, status, out, s.status, s.code)
		}
		switch {
		case status == http.StatusServiceUnavailable && took < waitTimeout:
			t.Fatalf("%s: refused after %s, before the WAIT timeout %s", s.name, took, waitTimeout)
		case status == http.StatusAccepted && s.server == public.URL && len(syncIDs(out)) > 0 && !onReplica(syncIDs(out)[0]):
			t.Fatalf("%s: answered 202 but the replica does not hold task %s", s.name, syncIDs(out)[0])
		}
	}
}

// BenchmarkWebhookReplicatedAck measures signed delivery → enqueue on a real
// master (AOF, fsync every second) with one replica, acknowledged at once
// (min_replicas=0) or after WAIT 1 (min_replicas=1), and through three
// Sentinels after WAIT 1 and the failover fence (sentinel,min_replicas=1),
// 16 deliveries in flight:
//
//	go test -run '^$' -bench WebhookReplicatedAck -benchtime 3s ./app/
func BenchmarkWebhookReplicatedAck(b *testing.B) {
	g := redisgroup.Start(b, redisgroup.Options{Replicas: 1, Sentinels: 3, AOF: true})
	w := newWorld(b, g.MasterURL(0), "0")
	head := w.git.Head("main")
	// Pushes are de-duplicated on (ref, before, after): each delivery is
	// its own push, with its own before.
	signedPush := func(delivery string) ([]byte, string) {
		before := sha1.Sum([]byte(delivery))
		body, _ := json.Marshal(&gh.PushEvent{
			Ref: gh.String("refs/heads/main"), Before: gh.String(hex.EncodeToString(before[:])), After: gh.String(head),
			Repo:    &gh.PushEventRepository{FullName: gh.String(repository)},
			Commits: []*gh.HeadCommit{{ID: gh.String(head), Added: []string{"raw/vpc.yaml"}}}, Size: gh.Int(1),
		})
		mac := hmac.New(sha256.New, []byte(webhookSecret))
		mac.Write(body)
		return body, "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	cases := []struct {
		name     string
		url      string
		replicas int
	}{
		{"min_replicas=0", g.MasterURL(0), 0},
		{"min_replicas=1", g.MasterURL(0), 1},
		{"sentinel,min_replicas=1", g.SentinelURL(0), 1},
	}
	for _, bc := range cases {
		replicas := bc.replicas
		b.Run(bc.name, func(b *testing.B) {
			public, _ := w.webhook(map[string]string{config.VarRedisURL: bc.url, config.VarRedisMinReplicas: fmt.Sprint(replicas)})
			var n atomic.Int64
			prefix := fmt.Sprintf("bench-%s-%d", bc.name, time.Now().UnixNano())
			b.SetParallelism(16)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					delivery := fmt.Sprintf("%s-%d", prefix, n.Add(1))
					body, sig := signedPush(delivery)
					req, _ := http.NewRequest(http.MethodPost, public.URL+"/webhooks/github", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-GitHub-Event", "push")
					req.Header.Set("X-GitHub-Delivery", delivery)
					req.Header.Set("X-Hub-Signature-256", sig)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Errorf("delivery: %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

// TestReplicatedAcknowledgementThroughPromotion opens the window that WAIT
// alone leaves under Sentinel: one replica is promoted (REPLICAOF NO ONE, as
// Sentinel does first in a failover) while the other still follows the old
// master and acknowledges its writes. A delivery in that window is written
// to the old master and WAIT 1 succeeds, yet the write is not in the
// promoted lineage: the answer must be 503, not 202. Once the promoted
// replica follows the master again, the redelivery is acknowledged.
func TestReplicatedAcknowledgementThroughPromotion(t *testing.T) {
	const db = 2
	g := redisgroup.Start(t, redisgroup.Options{Replicas: 2, Sentinels: 3, Password: "master-pw"})
	w := newWorld(t, g.SentinelURL(db), "0")
	head := w.git.Commit(map[string]string{"raw/vpc.yaml": vpc("vpc-1", 1001)}, nil, "raw")
	public, _ := w.webhook(map[string]string{config.VarRedisMinReplicas: "1", config.VarRedisWaitTimeout: "300ms"})
	promoted := g.Client(g.Replicas[0], db)
	defer promoted.Close()
	master := g.Client(g.Master, db)
	defer master.Close()
	onMaster := func(syncID string) bool {
		n, err := master.Exists(context.Background(), "asynq:{"+jobs.DefaultQueue+"}:t:"+syncID).Result()
		return err == nil && n == 1
	}
	ctx := context.Background()

	steps := []struct {
		name     string
		before   func() error
		delivery string
		status   int
		code     string
		// redeliver sends the delivery again, for up to 15 s, until it
		// gets status.
		redeliver bool
	}{
		{name: "every replica follows the master", delivery: "p-1", status: http.StatusAccepted},
		{name: "one replica promoted, the other still following", before: func() error {
			return promoted.ReplicaOf(ctx, "NO", "ONE").Err()
		}, delivery: "p-2", status: http.StatusServiceUnavailable, code: "FGD_5003"},
		{name: "the promoted replica follows the master again", before: func() error {
			return promoted.ReplicaOf(ctx, "127.0.0.1", fmt.Sprint(g.Master.Port)).Err()
		}, delivery: "p-2", status: http.StatusOK, redeliver: true},
	}
	for _, s := range steps {
		if s.before != nil {
			if err := s.before(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		status, out := push(t, public.URL, s.delivery, head, "raw/vpc.yaml")
		for deadline := time.Now().Add(15 * time.Second); s.redeliver && status != s.status && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			status, out = push(t, public.URL, s.delivery, head, "raw/vpc.yaml")
		}
		t.Logf("%s: %d %v", s.name, status, out)
		if status != s.status || errCode(out) != s.code {
			t.Fatalf("%s: %d %v, want %d %s", s.name, status, out, s.status, s.code)
		}
	}
	// The refused delivery was written to the old master all the same, and
	// the replica that still follows it holds it too, so WAIT 1 was met:
	// the refusal came from the fence, not from a failed write or WAIT.
	before := sha1.Sum([]byte("p-2"))
	id := handlers.PushSyncID("dc1", "refs/heads/main", hex.EncodeToString(before[:]), head)
	follower := g.Client(g.Replicas[1], db)
	defer follower.Close()
	if n, err := follower.Exists(ctx, "asynq:{"+jobs.DefaultQueue+"}:t:"+id).Result(); !onMaster(id) || err != nil || n != 1 {
		t.Fatalf("task %s: on the master %v, on the following replica %d %v", id, onMaster(id), n, err)
	}
}
