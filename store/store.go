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

func (s *Store) recordKey(id string) string     { return s.prefix + "sync:" + id }
func (s *Store) fabricSyncsKey(f string) string { return s.prefix + "fabric:" + f + ":syncs" }

// putRecordScript sets the record unless one that succeeded (state
// succeeded or partial) is there and the new one did not succeed (ARGV[3]
// is "1" when it did): it answers 0 then. Two runs of one task happen:
// across a Redis failover a task can be taken from both lineages, and the
// run that lost the race must not turn the winner's outcome back into
// "running", "retrying" or "failed". A failed record stays replaceable: a
// failed sync may be run again (Asynqmon's "run" on an archived task).
const putRecordScript = `
local cur = redis.call('GET', KEYS[1])
if cur and ARGV[3] == '0' then
  local ok, rec = pcall(cjson.decode, cur)
  if ok and type(rec) == 'table' and (rec.state == 'succeeded' or rec.state == 'partial') then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// ErrRecordFinal means the sync's record already says it succeeded: another
// run of the same task finished it. The record was left as it was.
var ErrRecordFinal = errors.New("the sync already succeeded in another run")

// PutRecord stores a record for RecordTTL and indexes it under its fabric.
// A record that succeeded is replaced only by another that succeeded; any
// other write returns ErrRecordFinal and changes nothing.
func (s *Store) PutRecord(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	succeeded := "0"
	if r.State == StateSucceeded || r.State == StatePartial {
		succeeded = "1"
	}
	idx := s.fabricSyncsKey(r.Fabric)
	pipe := s.rdb.TxPipeline()
	put := pipe.Eval(ctx, putRecordScript, []string{s.recordKey(r.ID)}, b, RecordTTL.Milliseconds(), succeeded)
	pipe.ZAdd(ctx, idx, redis.Z{Score: float64(r.CreatedAt.UnixMilli()), Member: r.ID})
	pipe.ZRemRangeByScore(ctx, idx, "-inf", fmt.Sprint(time.Now().Add(-RecordTTL).UnixMilli()))
	pipe.ZRemRangeByRank(ctx, idx, 0, -maxIndexed-1)
	pipe.Expire(ctx, idx, RecordTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store record %s: %w", r.ID, err)
	}
	if n, _ := put.Int(); n == 0 {
		return ErrRecordFinal
	}
	return nil
}

// ClaimOnce is true for the first caller that claims key within ttl, false
// for the others: one worker of many acts on a finding they all make.
func (s *Store) ClaimOnce(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.prefix+"claim:"+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return ok, nil
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
