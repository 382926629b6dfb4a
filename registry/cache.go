package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fabrics"
)

// DefaultCacheMaxAge is how long a Cache trusts what it holds before it
// checks the registry's version again.
const DefaultCacheMaxAge = 100 * time.Millisecond

// Cache is the whole registry in memory, for routing webhook deliveries
// without a Redis round trip each. Every registry write sets a new version
// key; the cache checks it (one GET) at most once every maxAge, and
// reloads everything when it moved. A write on any replica is therefore seen
// by the first lookup that starts more than maxAge after it.
type Cache struct {
	reg    *Registry
	maxAge time.Duration

	refreshing sync.Mutex // one check at a time
	current    atomic.Pointer[snapshot]
}

// snapshot is the registry as of one version. Its maps and slices are never
// modified once published.
type snapshot struct {
	version string // the version key's value; "" when it does not exist yet
	checked time.Time
	byRepo  map[string][]fabrics.Fabric
}

// NewCache returns a cache of reg; maxAge <= 0 means DefaultCacheMaxAge.
func NewCache(reg *Registry, maxAge time.Duration) *Cache {
	if maxAge <= 0 {
		maxAge = DefaultCacheMaxAge
	}
	return &Cache{reg: reg, maxAge: maxAge}
}

// ByRepository returns the fabrics of a repository, sorted by name. The
// slice is shared: callers must not modify it.
func (c *Cache) ByRepository(ctx context.Context, repo string) ([]fabrics.Fabric, error) {
	s, err := c.fresh(ctx)
	if err != nil {
		return nil, err
	}
	return s.byRepo[fabrics.RepositoryKey(repo)], nil
}

// fresh returns a snapshot checked less than maxAge ago, checking the
// version when needed. While another lookup checks, the others go on with
// the snapshot they have, which was current one check ago.
func (c *Cache) fresh(ctx context.Context) (*snapshot, error) {
	s := c.current.Load()
	if s != nil && time.Since(s.checked) < c.maxAge {
		return s, nil
	}
	if s != nil && !c.refreshing.TryLock() {
		return s, nil
	}
	if s == nil {
		c.refreshing.Lock() // nothing to go on with: wait for the first load
	}
	defer c.refreshing.Unlock()
	s = c.current.Load()
	if s != nil && time.Since(s.checked) < c.maxAge {
		return s, nil
	}
	return c.refresh(ctx, s)
}

// refresh checks the version and reloads the registry when it moved. The
// version is read before the fabrics: a write in between makes the next
// check reload again, never miss it.
func (c *Cache) refresh(ctx context.Context, old *snapshot) (*snapshot, error) {
	start := time.Now()
	version, err := c.reg.rdb.Get(ctx, c.reg.versionKey()).Result()
	if errors.Is(err, redis.Nil) {
		version, err = "", nil
	}
	if err != nil {
		return nil, fmt.Errorf("check the registry version: %w", err)
	}
	if old != nil && old.version == version {
		next := *old
		next.checked = start
		c.current.Store(&next)
		return &next, nil
	}
	list, err := c.reg.List(ctx)
	if err != nil {
		return nil, err
	}
	next := &snapshot{version: version, checked: start, byRepo: make(map[string][]fabrics.Fabric)}
	for _, f := range list { // sorted by name, and so stays each repository's list
		key := fabrics.RepositoryKey(f.Repository)
		next.byRepo[key] = append(next.byRepo[key], f)
	}
	c.current.Store(next)
	return next, nil
}
