package handlers

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/internal/webhooktest"
	"github.com/githedgehog/fgd-sync/jobs"
)

// TestSamePushDeliveredTwice: a push is one sync however many times it
// arrives within the retention (72 h): under a new delivery id, from two
// hooks with their own secrets at once, or after its sync has run. Another
// push, even on the same ref, is a sync of its own.
func TestSamePushDeliveredTwice(t *testing.T) {
	push := func(after string) []byte {
		ev := webhooktest.PushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/a.yaml")
		ev.After = gh.String(after)
		return webhooktest.MustJSON(t, ev)
	}
	type delivery struct {
		body   []byte
		secret string
		id     string
	}
	tests := []struct {
		name       string
		first      []delivery // sent one after the other
		concurrent []delivery // then sent at once
		runFirst   bool       // run the first sync to completion before the rest
		queued     int        // 202 answers
		duplicates int        // 200 duplicate answers
	}{
		{
			name:       "re-sent under a new delivery id",
			first:      []delivery{{id: "d-1"}, {id: "d-2"}, {id: "d-3"}},
			queued:     1,
			duplicates: 2,
		},
		{
			name:       "sent by two hooks at once",
			concurrent: []delivery{{id: "hook-a", secret: testSecret}, {id: "hook-b", secret: rotatedSecret}},
			queued:     1,
			duplicates: 1,
		},
		{
			name:       "re-sent after its sync ran",
			first:      []delivery{{id: "d-1"}, {id: "d-2"}},
			runFirst:   true,
			queued:     1,
			duplicates: 1,
		},
		{
			name:   "another push on the same ref",
			first:  []delivery{{id: "d-1"}, {id: "d-2", body: push("1111111111111111111111111111111111111111")}},
			queued: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			same := push(randomSHA())
			var mu sync.Mutex
			answers := map[string]int{}
			send := func(d delivery) {
				body := d.body
				if body == nil {
					body = same
				}
				secret := d.secret
				if secret == "" {
					secret = testSecret
				}
				// post, not f.send: this may run on another goroutine.
				code, _, out, err := post(f.server.URL, bytes.NewReader(body), int64(len(body)),
					deliveryHeaders("push", testredis.Unique(d.id), webhooktest.Sign(secret, body)))
				mu.Lock()
				answers[fmt.Sprintf("%d %v %v", code, out["status"], err)]++
				mu.Unlock()
			}
			for i, d := range tc.first {
				send(d)
				if i == 0 && tc.runFirst {
					f.runPending(t)
				}
			}
			var wg sync.WaitGroup
			for _, d := range tc.concurrent {
				wg.Add(1)
				go func() { defer wg.Done(); send(d) }()
			}
			wg.Wait()
			if answers["202 queued <nil>"] != tc.queued || answers["200 duplicate <nil>"] != tc.duplicates || len(answers) > 2 {
				t.Fatalf("answers %v, want %d × 202 queued and %d × 200 duplicate", answers, tc.queued, tc.duplicates)
			}
			pending := len(f.tasks())
			if tc.runFirst {
				pending++ // the one that ran
			}
			if pending != tc.queued {
				t.Fatalf("%d syncs in Redis, want %d", pending, tc.queued)
			}
		})
	}
}

// runPending runs the fixture queue's tasks on a real asynq server whose
// handler succeeds, and waits until they are completed (kept for the
// retention).
func (f *fixture) runPending(t *testing.T) {
	t.Helper()
	opt, err := asynq.ParseRedisURI(f.redis.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := asynq.NewServer(opt, asynq.Config{Queues: map[string]int{f.queue: 1}, Concurrency: 1, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeSync, func(context.Context, *asynq.Task) error { return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := f.inspector.ListCompletedTasks(f.queue)
		if err == nil && len(done) == 1 && len(f.tasks()) == 0 {
			if done[0].Retention < jobs.DeliveryRetention {
				t.Fatalf("completed sync kept %s, want %s", done[0].Retention, jobs.DeliveryRetention)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync did not complete: %v %v", done, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPushSyncID: the sync id names one push for one fabric, and nothing
// else: every field of its identity changes it.
func TestPushSyncID(t *testing.T) {
	a := PushSyncID("dc1", "refs/heads/main", "b", "a")
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"same push", PushSyncID("dc1", "refs/heads/main", "b", "a"), true},
		{"another fabric", PushSyncID("dc2", "refs/heads/main", "b", "a"), false},
		{"another ref", PushSyncID("dc1", "refs/heads/prod", "b", "a"), false},
		{"another before", PushSyncID("dc1", "refs/heads/main", "c", "a"), false},
		{"another after", PushSyncID("dc1", "refs/heads/main", "b", "c"), false},
		{"fields shifted", PushSyncID("dc1", "refs/heads/mainb", "", "a"), false},
	}
	for _, tc := range tests {
		if (tc.other == a) != tc.same {
			t.Errorf("%s: id %s against %s, want same=%v", tc.name, tc.other, a, tc.same)
		}
	}
}
