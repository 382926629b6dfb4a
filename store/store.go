// Package store keeps fgd-sync's state in Redis: the sync records, the
// per-fabric sync lock, and the triggers coalesced while a sync runs.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/githedgehog/fgd-sync/syncrecord"
)

// RecordTTL is how long a sync record is kept.
const RecordTTL = 30 * 24 * time.Hour

// maxIndexed is how many records a fabric's listing keeps, newest first
// (the API pages at most 100); older ones stay readable by id until their
// TTL.
const maxIndexed = 1000

// DefaultPrefix starts every key fgd-sync writes (asynq's own keys start
// with asynq:).
const DefaultPrefix = "fgd:"

// The sync record's shape is declared once, in syncrecord, which links no
// Redis; these names keep store's callers as they are.
type (
	Record = syncrecord.Record
	Stage  = syncrecord.Stage
)

// Sync states.
const (
	StateQueued    = syncrecord.StateQueued
	StateRunning   = syncrecord.StateRunning
	StateRetrying  = syncrecord.StateRetrying
	StateSucceeded = syncrecord.StateSucceeded
	StatePartial   = syncrecord.StatePartial
	StateFailed    = syncrecord.StateFailed
)

// ErrNotFound is a record or key that does not exist.
var ErrNotFound = errors.New("not found")

// Store is the Redis side of fgd-sync's state.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a store on rdb. prefix separates tenants of one Redis (tests);
// DefaultPrefix when empty.
func New(rdb redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) recordKey(id string) string       { return s.prefix + "sync:" + id }
func (s *Store) fabricSyncsKey(f string) string   { return s.prefix + "fabric:" + f + ":syncs" }
func (s *Store) lockKey(fabric string) string     { return s.prefix + "lock:" + fabric }
func (s *Store) followUpKey(fabric string) string { return s.prefix + "followup:" + fabric }

// PutRecord stores a record for RecordTTL and indexes it under its fabric.
func (s *Store) PutRecord(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	idx := s.fabricSyncsKey(r.Fabric)
	pipe := s.rdb.TxPipeline()
	pipe.Set(ctx, s.recordKey(r.ID), b, RecordTTL)
	pipe.ZAdd(ctx, idx, redis.Z{Score: float64(r.CreatedAt.UnixMilli()), Member: r.ID})
	pipe.ZRemRangeByScore(ctx, idx, "-inf", fmt.Sprint(time.Now().Add(-RecordTTL).UnixMilli()))
	pipe.ZRemRangeByRank(ctx, idx, 0, -maxIndexed-1)
	pipe.Expire(ctx, idx, RecordTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store record %s: %w", r.ID, err)
	}
	return nil
}

// GetRecord returns one record, or ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, id string) (*Record, error) {
	b, err := s.rdb.Get(ctx, s.recordKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode record %s: %w", id, err)
	}
	return &r, nil
}

// ListRecords returns a fabric's newest records, newest first.
func (s *Store) ListRecords(ctx context.Context, fabric string, limit int) ([]*Record, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.fabricSyncsKey(fabric), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list records of %s: %w", fabric, err)
	}
	out := make([]*Record, 0, len(ids))
	for _, id := range ids {
		r, err := s.GetRecord(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // expired
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Lua scripts: each one is atomic in Redis.
var (
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
	// Sets the follow-up when none is pending; answers the pending one.
	followUpScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return ARGV[1]
end
return redis.call("GET", KEYS[1])`)
	takeScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v then redis.call("DEL", KEYS[1]) end
return v`)
)

// TryLock takes a fabric's sync lock for owner for ttl. It answers whether
// it got it, and the current holder when it did not.
func (s *Store) TryLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, string, error) {
	ok, err := s.rdb.SetNX(ctx, s.lockKey(fabric), owner, ttl).Result()
	if err != nil {
		return false, "", fmt.Errorf("lock %s: %w", fabric, err)
	}
	if ok {
		return true, owner, nil
	}
	holder, err := s.rdb.Get(ctx, s.lockKey(fabric)).Result()
	if errors.Is(err, redis.Nil) {
		return false, "", nil // released just now; the caller tries again
	}
	return false, holder, err
}

// RenewLock extends owner's lock; false when owner no longer holds it.
func (s *Store) RenewLock(ctx context.Context, fabric, owner string, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, s.rdb, []string{s.lockKey(fabric)}, owner, ttl.Milliseconds()).Int()
	return n == 1, err
}

// Unlock releases owner's lock, if owner still holds it.
func (s *Store) Unlock(ctx context.Context, fabric, owner string) error {
	return releaseScript.Run(ctx, s.rdb, []string{s.lockKey(fabric)}, owner).Err()
}

// LockHolder returns who holds a fabric's lock, or "".
func (s *Store) LockHolder(ctx context.Context, fabric string) (string, error) {
	v, err := s.rdb.Get(ctx, s.lockKey(fabric)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// followUpTTL keeps a pending follow-up long enough to outlive any crash
// recovery.
const followUpTTL = 24 * time.Hour

// AddFollowUp records that a fabric needs another sync after the running
// one. The first caller's payload wins; everyone gets the pending one back.
func (s *Store) AddFollowUp(ctx context.Context, fabric string, payload []byte) ([]byte, error) {
	v, err := followUpScript.Run(ctx, s.rdb, []string{s.followUpKey(fabric)}, payload, followUpTTL.Milliseconds()).Text()
	if err != nil {
		return nil, fmt.Errorf("coalesce trigger of %s: %w", fabric, err)
	}
	return []byte(v), nil
}

// TakeFollowUp removes and returns a fabric's pending follow-up, or nil.
func (s *Store) TakeFollowUp(ctx context.Context, fabric string) ([]byte, error) {
	v, err := takeScript.Run(ctx, s.rdb, []string{s.followUpKey(fabric)}).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take follow-up of %s: %w", fabric, err)
	}
	return []byte(v), nil
}
