package jobs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github/gitcache"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// registry is a fabric registry the test edits, as the admin API would.
type registry struct {
	mu   sync.Mutex
	list []fabrics.Fabric
}

func (r *registry) set(list ...fabrics.Fabric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = list
}

func (r *registry) List(context.Context) ([]fabrics.Fabric, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list), nil
}

func (r *registry) Fabric(_ context.Context, name string) (fabrics.Fabric, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.list {
		if f.Name == name {
			return f, nil
		}
	}
	return fabrics.Fabric{}, fabrics.ErrUnknownFabric
}

// TestCacheIdentity: two workers ("replicas") with caches of their own. A
// changed clone_url gives a fresh clone of the new remote, and every
// replica drops the clones that no registered fabric uses at its schedule
// refresh, except while the fabric is locked; cleanup drops them at once on
// the worker that runs it.
func TestCacheIdentity(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	gitA, gitB := gittest.New(t, gittest.Options{}), gittest.New(t, gittest.Options{})
	headA := gitA.Commit(map[string]string{"a.txt": "a\n"}, nil, "on A")
	headB := gitB.Commit(map[string]string{"b.txt": "b\n"}, nil, "on B")
	onA := fabrics.Fabric{Name: "dc1", Repository: "acme/fab", CloneURL: gitA.RepoURL(), Branch: "main"}
	onB := onA
	onB.CloneURL = gitB.RepoURL()
	keyA, keyB := gitcache.CacheKey("dc1", onA.CloneURL, "main"), gitcache.CacheKey("dc1", onB.CloneURL, "main")

	reg := &registry{}
	type replica struct {
		cache    GitCache
		schedule *Schedule
	}
	var replicas []replica
	for range 2 {
		c := GitCache{RepoCache: &gitcache.RepoCache{Dir: t.TempDir()}}
		h := &SyncHandler{Logger: discardLogger(), Store: st, Repos: c}
		replicas = append(replicas, replica{c, &Schedule{Fabrics: reg, Prune: h.CachePruner()}})
	}
	open := func(r replica, f fabrics.Fabric) string {
		t.Helper()
		co, err := r.cache.Open(ctx, gitcache.CacheKey(f.Name, f.CloneURL, f.Branch), f.Repository, f.CloneURL, f.Branch)
		if err != nil {
			t.Fatal(err)
		}
		return co.Head()
	}
	refresh := func() {
		t.Helper()
		for _, r := range replicas {
			if _, err := r.schedule.GetConfigs(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := func(step string, entries ...[]string) {
		t.Helper()
		for i, r := range replicas {
			got := cacheEntries(t, r.cache.Dir)
			if !slices.Equal(got, entries[i]) {
				t.Fatalf("%s: replica %d holds %v, want %v", step, i, got, entries[i])
			}
		}
	}

	reg.set(onA)
	if open(replicas[0], onA) != headA || open(replicas[1], onA) != headA {
		t.Fatal("not at A's head")
	}
	refresh()
	want("both on A", []string{keyA}, []string{keyA})

	// PUT changes the clone URL: replica 0 syncs from a fresh clone of B.
	reg.set(onB)
	if got := open(replicas[0], onB); got != headB {
		t.Fatalf("after the clone_url changed, head %s, want B's %s", got, headB)
	}
	refresh()
	want("moved to B", []string{keyB}, nil)

	// While the fabric is locked, a clone it no longer uses stays: a sync
	// may hold it.
	if got := open(replicas[1], onB); got != headB {
		t.Fatalf("replica 1 after the clone_url changed: head %s, want B's %s", got, headB)
	}
	reg.set(onA)
	if got, _, _ := st.TryLock(ctx, "dc1", "running/1", DefaultLockTTL); !got {
		t.Fatal("lock")
	}
	refresh()
	want("locked", []string{keyB}, []string{keyB})
	if err := st.Unlock(ctx, "dc1", "running/1"); err != nil {
		t.Fatal(err)
	}
	refresh()
	want("unlocked", nil, nil)

	// Delete: the worker that runs the cleanup drops its clone at once, the
	// other at its next refresh. Entries of earlier versions (named after
	// the fabric) go too; hidden ones are not the cache's.
	open(replicas[0], onA)
	open(replicas[1], onA)
	for _, name := range []string{"dc1", ".lost+found"} {
		if err := os.Mkdir(filepath.Join(replicas[1].cache.Dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	reg.set()
	cleanup := &CleanupHandler{Logger: discardLogger(), Fabrics: reg, Store: st, Caches: replicas[0].cache}
	task, err := NewCleanupTask("dc1")
	if err != nil {
		t.Fatal(err)
	}
	if err := cleanup.HandleCleanupTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	want("cleaned up on replica 0", nil, []string{".lost+found", "dc1", keyA})
	refresh()
	want("pruned on replica 1", nil, []string{".lost+found"})
}

func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
