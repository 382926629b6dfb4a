package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// syncEnv is a SyncHandler on a real store in a real Redis, with git and
// GitHub faked.
type syncEnv struct {
	h      *SyncHandler
	store  *store.Store
	remote *fakeRemote
	gh     *fakeGitHub
	queue  *fakeQueue
	fabric fabrics.Fabric
}

// fakeQueue records the tasks enqueued (the follow-ups).
type fakeQueue struct {
	mu    sync.Mutex
	tasks []*asynq.Task
}

func (q *fakeQueue) EnqueueContext(_ context.Context, t *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	return &asynq.TaskInfo{}, nil
}

func (q *fakeQueue) Tasks() []*asynq.Task {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*asynq.Task(nil), q.tasks...)
}

// newStoreOn returns a store with a prefix of its own on a private Redis.
func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, testredis.Unique("jobs")+":")
}

func newSyncEnv(t *testing.T, st *store.Store, fab fabrics.Fabric, files map[string]string) *syncEnv {
	t.Helper()
	bundle, err := ingestion.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	if fab.Name == "" {
		fab.Name = "dc1"
	}
	fab.Repository, fab.Branch, fab.Path, fab.Namespace = "acme/fab", "main", "fab", "default"
	e := &syncEnv{store: st, remote: newFakeRemote(files), gh: &fakeGitHub{app: true}, queue: &fakeQueue{}, fabric: fab}
	e.h = &SyncHandler{Logger: discardLogger(), Fabrics: fabrics.NewStaticIndex([]fabrics.Fabric{fab}), Store: st,
		Repos: e.remote, Reporters: e.gh, Queue: e.queue, Bundle: bundle, LockTTL: time.Minute}
	return e
}

// run handles one sync task of the env's fabric.
func (e *syncEnv) run(ctx context.Context, p SyncPayload) error {
	if p.Fabric == "" {
		p.Fabric = e.fabric.Name
	}
	if p.Trigger == "" {
		p.Trigger = TriggerWebhook
	}
	task, err := NewSyncTask(p)
	if err != nil {
		return err
	}
	return e.h.HandleSyncTask(ctx, task)
}

func (e *syncEnv) record(t *testing.T, id string) *store.Record {
	t.Helper()
	rec, err := e.store.GetRecord(context.Background(), id)
	if err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	return rec
}
