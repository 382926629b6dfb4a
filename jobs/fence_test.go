package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/store"
)

// failingRenewals is the real store, except that lock renewals fail as
// they do when this worker cannot reach Redis. lockTTL, when set, is how
// long the lock really lives in Redis (a failed-over replica may still
// name the old owner).
type failingRenewals struct {
	*store.Store
	lockTTL time.Duration

	mu    sync.Mutex
	first time.Time // the first failed renewal
}

func (f *failingRenewals) TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error) {
	if f.lockTTL > 0 {
		ttl = f.lockTTL
	}
	return f.Store.TryLock(ctx, fabric, owner, ttl)
}

func (f *failingRenewals) RenewLock(context.Context, string, string, time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first.IsZero() {
		f.first = time.Now()
	}
	return false, errors.New("dial tcp 10.0.0.5:6379: connect: connection refused")
}

// failingFor is how long renewals have been failing.
func (f *failingRenewals) failingFor() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first.IsZero() {
		return 0
	}
	return time.Since(f.first)
}

// TestFencing: a sync whose lease runs out while it ingests never pushes,
// neither to the fabric branch nor to an fgd/ branch; its record says why
// and the task is retried. A sync whose lease holds pushes a commit with
// its fencing token.
func TestFencing(t *testing.T) {
	st := newTestStore(t)
	const shortTTL = 300 * time.Millisecond
	tests := []struct {
		name      string
		writeMode string
		// expire makes the lease run out while the sync ingests.
		expire     func(t *testing.T, e *syncEnv, renewals *failingRenewals)
		renewals   *failingRenewals // nil: the real store
		wantPush   bool
		wantHolder string // the lock's holder after the sync
	}{
		{name: "lease holds", wantPush: true},
		{name: "lease holds, pull request", writeMode: fabrics.WriteModePullRequest, wantPush: true},
		{
			name:       "lease expired, another sync took the lock",
			expire:     func(t *testing.T, e *syncEnv, _ *failingRenewals) { stealLock(t, st, e.fabric.Name, "thief/1") },
			wantHolder: "thief/1",
		},
		{
			name: "lease expired, another sync took the lock, pull request", writeMode: fabrics.WriteModePullRequest,
			expire:     func(t *testing.T, e *syncEnv, _ *failingRenewals) { stealLock(t, st, e.fabric.Name, "thief/1") },
			wantHolder: "thief/1",
		},
		{
			name:     "renewals failed past the lease, Redis gave the lock away",
			renewals: &failingRenewals{},
			expire: func(t *testing.T, e *syncEnv, _ *failingRenewals) {
				waitFor(t, "the lease to run out in Redis", func() bool {
					got, _, err := st.TryLock(context.Background(), e.fabric.Name, "thief/2", DefaultLockTTL)
					return err == nil && got
				})
			},
			wantHolder: "thief/2",
		},
		{
			name:     "renewals failed past the lease, Redis still names this sync",
			renewals: &failingRenewals{lockTTL: time.Hour},
			expire: func(t *testing.T, _ *syncEnv, r *failingRenewals) {
				waitFor(t, "renewals to fail for longer than the lease", func() bool { return r.failingFor() > shortTTL })
			},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("fence%d", i), WriteMode: tc.writeMode},
				map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001)})
			if tc.renewals != nil {
				tc.renewals.Store = st
				e.h.Store, e.h.LockTTL = tc.renewals, shortTTL
			}
			e.remote.ingestGate, e.remote.ingestStarted = make(chan struct{}), make(chan struct{}, 1)
			done := make(chan error, 1)
			id := fmt.Sprintf("s-fence-%d", i)
			go func() { done <- e.run(t.Context(), SyncPayload{SyncID: id}) }()
			<-e.remote.ingestStarted
			if tc.expire != nil {
				tc.expire(t, e, tc.renewals)
			}
			close(e.remote.ingestGate)
			err := <-done

			pushed, branches := e.remote.Pushed()
			rec := e.record(t, id)
			if tc.wantPush {
				if err != nil {
					t.Fatal(err)
				}
				sha := e.remote.Head()
				if tc.writeMode == fabrics.WriteModePullRequest {
					sha = branches["fgd/sync-"+id]
				}
				if rec.Fence < 1 || rec.Commit != sha || !strings.Contains(e.remote.Message(sha), fmt.Sprintf("\nFGD-Fence: %d\n", rec.Fence)) {
					t.Fatalf("fence %d, commit %s (pushed %s): %q", rec.Fence, rec.Commit, sha, e.remote.Message(sha))
				}
				return
			}
			if transient, _ := fgderr.IsTransient(err); !transient || fgderr.CodeOf(err) != fgderr.SyncFailed || errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("err = %v, want a retryable %s", err, fgderr.SyncFailed)
			}
			if len(pushed) != 0 || len(branches) != 0 {
				t.Fatalf("a sync without the lock pushed: %v %v", pushed, branches)
			}
			last := rec.Errors[len(rec.Errors)-1]
			if rec.State != store.StateRetrying || last.Code != fgderr.SyncFailed || !strings.Contains(last.Message, "lost the fabric lock") || rec.Commit != "" {
				t.Fatalf("record %s %+v commit %q", rec.State, rec.Errors, rec.Commit)
			}
			if holder, _ := st.LockHolder(context.Background(), e.fabric.Name); holder != tc.wantHolder {
				t.Fatalf("lock holder %q after the sync, want %q", holder, tc.wantHolder)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stealLock makes the fabric's lease run out and gives it to another owner,
// as Redis does when a holder stops renewing.
func stealLock(t *testing.T, st *store.Store, fabric, owner string) {
	t.Helper()
	ctx := context.Background()
	holder, err := st.LockHolder(ctx, fabric)
	if err != nil || holder == "" {
		t.Fatalf("no holder to steal from: %q %v", holder, err)
	}
	if err := st.Unlock(ctx, fabric, holder); err != nil {
		t.Fatal(err)
	}
	if got, _, err := st.TryLock(ctx, fabric, owner, DefaultLockTTL); err != nil || !got {
		t.Fatalf("steal: %v %v", got, err)
	}
}
