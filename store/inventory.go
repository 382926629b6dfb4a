package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/syncrecord"
)

// Resource is one entry of a fabric's inventory (declared in syncrecord).
type Resource = syncrecord.Resource

func (s *Store) inventoryKey(fabric string) string { return s.prefix + "inventory:" + fabric }
func (s *Store) queuedKey(fabric string) string    { return s.prefix + "queued:" + fabric }

// PutInventory replaces a fabric's inventory in one transaction.
func (s *Store) PutInventory(ctx context.Context, fabric string, items []Resource) error {
	key := s.inventoryKey(fabric)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(items) == 0 {
			return nil
		}
		fields := make([]any, 0, 2*len(items))
		for _, it := range items {
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			fields = append(fields, it.Path, b)
		}
		p.HSet(ctx, key, fields...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store inventory of %s: %w", fabric, err)
	}
	return nil
}

// Inventory returns a fabric's resources, of one kind when kind is set,
// sorted by path.
func (s *Store) Inventory(ctx context.Context, fabric, kind string) ([]Resource, error) {
	all, err := s.rdb.HGetAll(ctx, s.inventoryKey(fabric)).Result()
	if err != nil {
		return nil, fmt.Errorf("read inventory of %s: %w", fabric, err)
	}
	out := make([]Resource, 0, len(all))
	for _, v := range all {
		var r Resource
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("decode inventory of %s: %w", fabric, err)
		}
		if kind == "" || r.Kind == kind {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// MarkQueued notes that a manual sync of a fabric is queued, unless one is:
// it answers whether it marked, and the sync already queued otherwise.
func (s *Store) MarkQueued(ctx context.Context, fabric, id string, ttl time.Duration) (bool, string, error) {
	ok, err := s.rdb.SetNX(ctx, s.queuedKey(fabric), id, ttl).Result()
	if err != nil || ok {
		return ok, id, err
	}
	cur, err := s.rdb.Get(ctx, s.queuedKey(fabric)).Result()
	if errors.Is(err, redis.Nil) {
		return s.MarkQueued(ctx, fabric, id, ttl)
	}
	return false, cur, err
}

// ClearQueued removes the queued mark when it is id's.
func (s *Store) ClearQueued(ctx context.Context, fabric, id string) error {
	return releaseScript.Run(ctx, s.rdb, []string{s.queuedKey(fabric)}, id).Err()
}

// DropFabric removes a deleted fabric's lock, pending follow-up, queued
// mark and inventory. Its records stay until their TTL, and its fencing
// counter stays, so that tokens never repeat.
func (s *Store) DropFabric(ctx context.Context, fabric string) error {
	return s.rdb.Del(ctx, s.lockKey(fabric), s.followUpKey(fabric), s.coversKey(fabric), s.legacyFollowUpKey(fabric),
		s.queuedKey(fabric), s.inventoryKey(fabric)).Err()
}
