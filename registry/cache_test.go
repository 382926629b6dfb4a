package registry

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// commandCounter counts the commands a client sends.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// replica is what one webhook replica holds: its own client and cache, on
// the shared Redis.
type replica struct {
	cache    *Cache
	commands *commandCounter
}

func newReplica(t *testing.T, url, prefix string, maxAge time.Duration) replica {
	t.Helper()
	rdb, err := redisconn.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	counter := &commandCounter{}
	rdb.AddHook(counter)
	return replica{cache: NewCache(New(rdb, prefix), maxAge), commands: counter}
}

func names(list []fabrics.Fabric) []string {
	out := make([]string, len(list))
	for i, f := range list {
		out[i] = f.Name
	}
	return out
}

// TestCacheFollowsEveryWrite: with a max age of zero every lookup checks the
// version, so each write (create, move, delete) on the registry is seen by
// the next lookup on each replica.
func TestCacheFollowsEveryWrite(t *testing.T) {
	rs := testredis.New(t)
	prefix := testredis.Unique("reg") + ":"
	writer := newRegistryOn(t, rs.URL, prefix)
	replicas := []replica{newReplica(t, rs.URL, prefix, time.Nanosecond), newReplica(t, rs.URL, prefix, time.Nanosecond)}
	ctx := context.Background()

	steps := []struct {
		name  string
		write func() error
		repo  string
		want  []string
	}{
		{"empty registry", func() error { return nil }, "acme/a", nil},
		{"create", func() error { _, err := writer.Create(ctx, fab("dc1", "Acme/A", "dc1")); return err }, "acme/a", []string{"dc1"}},
		{"second fabric, repository in another case", func() error { _, err := writer.Create(ctx, fab("dc0", "acme/a", "dc0")); return err }, "ACME/a", []string{"dc0", "dc1"}},
		{"move to another repository", func() error {
			f := fab("dc1", "acme/b", ".")
			_, err := writer.Put(ctx, f)
			return err
		}, "acme/a", []string{"dc0"}},
		{"the moved fabric", func() error { return nil }, "acme/b", []string{"dc1"}},
		{"delete", func() error { _, err := writer.Delete(ctx, "dc0"); return err }, "acme/a", nil},
		{"upsert of a fabrics file", func() error {
			_, err := writer.UpsertAll(ctx, []fabrics.Fabric{fab("dc2", "acme/a", "x")})
			return err
		}, "acme/a", []string{"dc2"}},
	}
	for _, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for i, r := range replicas {
			got, err := r.cache.ByRepository(ctx, st.repo)
			if err != nil {
				t.Fatalf("%s: replica %d: %v", st.name, i, err)
			}
			if g := names(got); !slices.Equal(g, st.want) {
				t.Fatalf("%s: replica %d sees %v on %s, want %v", st.name, i, g, st.repo, st.want)
			}
		}
	}
}

// TestCacheChecksAtMostOncePerMaxAge: within the max age, lookups send
// nothing to Redis (and so do not see a write made meanwhile); the first
// load is a version GET and the list.
func TestCacheChecksAtMostOncePerMaxAge(t *testing.T) {
	rs := testredis.New(t)
	prefix := testredis.Unique("reg") + ":"
	writer := newRegistryOn(t, rs.URL, prefix)
	ctx := context.Background()
	if _, err := writer.Create(ctx, fab("dc1", "acme/a", ".")); err != nil {
		t.Fatal(err)
	}
	r := newReplica(t, rs.URL, prefix, time.Hour)
	if got, err := r.cache.ByRepository(ctx, "acme/a"); err != nil || len(got) != 1 {
		t.Fatalf("first lookup: %v %v", got, err)
	}
	loaded := r.commands.n.Load()
	if _, err := writer.Create(ctx, fab("dc2", "acme/a", "sub")); err == nil {
		t.Fatal("an overlapping fabric was accepted")
	}
	if _, err := writer.Create(ctx, fab("lab", "acme/lab", ".")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		got, err := r.cache.ByRepository(ctx, "acme/lab")
		if err != nil || len(got) != 0 {
			t.Fatalf("lookup %d within the max age: %v %v (want the held snapshot, without lab)", i, got, err)
		}
	}
	if n := r.commands.n.Load(); n != loaded {
		t.Fatalf("1,000 lookups within the max age sent %d commands to Redis, want 0", n-loaded)
	}
}

// TestCacheRedisDown: a cache that cannot check its version says so, so
// that the webhook answers 503 rather than route on a guess.
func TestCacheRedisDown(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	r := newReplica(t, rs.URL, testredis.Unique("reg")+":", time.Nanosecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.cache.ByRepository(ctx, "acme/a"); err != nil {
		t.Fatal(err)
	}
	rs.Stop()
	if _, err := r.cache.ByRepository(ctx, "acme/a"); err == nil {
		t.Fatal("a lookup with Redis down and the snapshot expired succeeded")
	}
}

func newRegistryOn(t *testing.T, url, prefix string) *Registry {
	t.Helper()
	rdb, err := redisconn.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return New(rdb, prefix)
}

// TestCacheAfterRedisLostItsData: a Redis flushed (or restored from an
// older file) and written to again never shows a version the cache
// already holds, however many writes it took.
func TestCacheAfterRedisLostItsData(t *testing.T) {
	rs := testredis.NewPrivate(t, testredis.Options{})
	prefix := testredis.Unique("reg") + ":"
	writer := newRegistryOn(t, rs.URL, prefix)
	r := newReplica(t, rs.URL, prefix, time.Nanosecond)
	ctx := context.Background()
	if _, err := writer.Create(ctx, fab("before", "acme/a", "x")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.cache.ByRepository(ctx, "acme/a"); err != nil || !slices.Equal(names(got), []string{"before"}) {
		t.Fatalf("before the flush: %v %v", names(got), err)
	}
	if err := writer.rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Create(ctx, fab("after", "acme/a", "y")); err != nil { // as many writes as before
		t.Fatal(err)
	}
	if got, err := r.cache.ByRepository(ctx, "acme/a"); err != nil || !slices.Equal(names(got), []string{"after"}) {
		t.Fatalf("after the flush and one write: %v %v, want [after]", names(got), err)
	}
}
