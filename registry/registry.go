// Package registry is the fabric registry in Redis: every fabric by name,
// an index by repository (a hash of that repository's fabrics), and a
// version counted up by every write. Cache keeps the whole registry in
// memory for the webhook's routing and reloads it when the version moves.
package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// ErrExists is a create of a name that is taken.
var ErrExists = errors.New("fabric already exists")

// Registry stores fabrics in Redis.
type Registry struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns the registry; prefix as in store.New ("fgd:" when empty).
func New(rdb redis.UniversalClient, prefix string) *Registry {
	if prefix == "" {
		prefix = "fgd:"
	}
	return &Registry{rdb: rdb, prefix: prefix}
}

func (r *Registry) fabricKey(name string) string { return r.prefix + "registry:fabric:" + name }
func (r *Registry) namesKey() string             { return r.prefix + "registry:names" }

// versionKey changes with every write of the registry, so that a Cache can
// tell with one GET whether what it holds is still current. It is a random
// token rather than a counter: a Redis flushed or restored from an older
// file and written to again must not show a version a cache already holds.
func (r *Registry) versionKey() string { return r.prefix + "registry:version" }

func newVersion() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
func (r *Registry) repoKey(repo string) string {
	return r.prefix + "registry:repo:" + fabrics.RepositoryKey(repo)
}

// Create adds a new fabric; ErrExists when the name is taken, a
// *fabrics.FieldError when it is invalid or overlaps another fabric.
func (r *Registry) Create(ctx context.Context, f fabrics.Fabric) (fabrics.Fabric, error) {
	return r.write(ctx, f, true)
}

// Put creates or replaces a fabric.
func (r *Registry) Put(ctx context.Context, f fabrics.Fabric) (fabrics.Fabric, error) {
	return r.write(ctx, f, false)
}

// write validates f and stores it in one optimistic transaction, so that
// two concurrent writes cannot both pass the overlap check.
func (r *Registry) write(ctx context.Context, f fabrics.Fabric, create bool) (fabrics.Fabric, error) {
	f.Normalize()
	if err := f.Validate(); err != nil {
		return fabrics.Fabric{}, err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return fabrics.Fabric{}, err
	}
	key := r.fabricKey(f.Name)
	for attempt := 0; attempt < 10; attempt++ {
		var domainErr error
		err := r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			oldRaw, err := tx.Get(ctx, key).Bytes()
			exists := err == nil
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if exists && create {
				domainErr = ErrExists
				return nil
			}
			var old fabrics.Fabric
			if exists {
				if err := json.Unmarshal(oldRaw, &old); err != nil {
					return fmt.Errorf("decode fabric %s: %w", f.Name, err)
				}
			}
			siblings, err := r.byRepository(ctx, tx, f.Repository)
			if err != nil {
				return err
			}
			for _, s := range siblings {
				if s.Name != f.Name && fabrics.Overlaps(s, f) {
					domainErr = &fabrics.FieldError{Fabric: f.Name, Field: "path", Code: fgderr.InvalidStructure,
						Msg: fmt.Sprintf("%q overlaps fabric %q (%q) on %s@%s", f.Path, s.Name, s.Path, f.Repository, f.Branch)}
					return nil
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, body, 0)
				p.SAdd(ctx, r.namesKey(), f.Name)
				if exists && fabrics.RepositoryKey(old.Repository) != fabrics.RepositoryKey(f.Repository) {
					p.HDel(ctx, r.repoKey(old.Repository), f.Name)
				}
				p.HSet(ctx, r.repoKey(f.Repository), f.Name, body)
				p.Set(ctx, r.versionKey(), newVersion(), 0)
				return nil
			})
			return err
		}, key, r.repoKey(f.Repository))
		if errors.Is(err, redis.TxFailedErr) {
			continue // another writer raced us: look again
		}
		if err != nil {
			return fabrics.Fabric{}, fmt.Errorf("store fabric %s: %w", f.Name, err)
		}
		if domainErr != nil {
			return fabrics.Fabric{}, domainErr
		}
		return f, nil
	}
	return fabrics.Fabric{}, fmt.Errorf("store fabric %s: too much contention", f.Name)
}

// Fabric returns a fabric, or an error wrapping fabrics.ErrUnknownFabric.
func (r *Registry) Fabric(ctx context.Context, name string) (fabrics.Fabric, error) {
	raw, err := r.rdb.Get(ctx, r.fabricKey(name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return fabrics.Fabric{}, fmt.Errorf("%w: %q", fabrics.ErrUnknownFabric, name)
	}
	if err != nil {
		return fabrics.Fabric{}, fmt.Errorf("read fabric %s: %w", name, err)
	}
	var f fabrics.Fabric
	if err := json.Unmarshal(raw, &f); err != nil {
		return fabrics.Fabric{}, fmt.Errorf("decode fabric %s: %w", name, err)
	}
	return f, nil
}

// List returns every fabric, sorted by name.
func (r *Registry) List(ctx context.Context) ([]fabrics.Fabric, error) {
	names, err := r.rdb.SMembers(ctx, r.namesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list fabrics: %w", err)
	}
	return r.load(ctx, r.rdb, names)
}

// ByRepository returns the fabrics of a repository: one index lookup.
func (r *Registry) ByRepository(ctx context.Context, repo string) ([]fabrics.Fabric, error) {
	return r.byRepository(ctx, r.rdb, repo)
}

func (r *Registry) byRepository(ctx context.Context, c redis.Cmdable, repo string) ([]fabrics.Fabric, error) {
	all, err := c.HGetAll(ctx, r.repoKey(repo)).Result()
	if err != nil {
		return nil, fmt.Errorf("look up repository %s: %w", repo, err)
	}
	bodies := make([]string, 0, len(all))
	for _, v := range all {
		bodies = append(bodies, v)
	}
	return decodeSorted(bodies)
}

// decodeSorted decodes stored fabrics, sorted by name.
func decodeSorted(bodies []string) ([]fabrics.Fabric, error) {
	out := make([]fabrics.Fabric, 0, len(bodies))
	for _, b := range bodies {
		var f fabrics.Fabric
		if err := json.Unmarshal([]byte(b), &f); err != nil {
			return nil, fmt.Errorf("decode fabric: %w", err)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (r *Registry) load(ctx context.Context, c redis.Cmdable, names []string) ([]fabrics.Fabric, error) {
	if len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = r.fabricKey(n)
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read fabrics: %w", err)
	}
	bodies := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok { // nil: deleted meanwhile
			bodies = append(bodies, s)
		}
	}
	return decodeSorted(bodies)
}

// Delete removes a fabric; fabrics.ErrUnknownFabric when there is none.
func (r *Registry) Delete(ctx context.Context, name string) (fabrics.Fabric, error) {
	f, err := r.Fabric(ctx, name)
	if err != nil {
		return fabrics.Fabric{}, err
	}
	_, err = r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, r.fabricKey(name))
		p.SRem(ctx, r.namesKey(), name)
		p.HDel(ctx, r.repoKey(f.Repository), name)
		p.Set(ctx, r.versionKey(), newVersion(), 0)
		return nil
	})
	if err != nil {
		return fabrics.Fabric{}, fmt.Errorf("delete fabric %s: %w", name, err)
	}
	return f, nil
}

// UpsertAll puts every fabric of a fabrics file, leaving the others (made
// through the API) alone. It returns the names that were new.
func (r *Registry) UpsertAll(ctx context.Context, list []fabrics.Fabric) ([]string, error) {
	var created []string
	for _, f := range list {
		_, err := r.Create(ctx, f)
		if errors.Is(err, ErrExists) {
			_, err = r.Put(ctx, f)
		} else if err == nil {
			created = append(created, f.Name)
		}
		if err != nil {
			return created, fmt.Errorf("fabric %s: %w", f.Name, err)
		}
	}
	return created, nil
}
