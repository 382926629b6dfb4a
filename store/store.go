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

	"github.com/githedgehog/fgd-sync/ingestion"
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

// Sync states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateRetrying  = "retrying"
	StateSucceeded = "succeeded"
	StatePartial   = "partial"
	StateFailed    = "failed"
)

// Stage is one timed step of a sync.
type Stage struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
}

// Record is the sync record (docs/contract.md).
type Record struct {
	ID            string            `json:"id"`
	Fabric        string            `json:"fabric"`
	Trigger       string            `json:"trigger"`
	State         string            `json:"state"`
	CorrelationID string            `json:"correlation_id"`
	CreatedAt     time.Time         `json:"created_at"`
	StartedAt     *time.Time        `json:"started_at"`
	FinishedAt    *time.Time        `json:"finished_at"`
	Commit        string            `json:"commit"`
	Attempt       int               `json:"attempt"`
	Stages        []Stage           `json:"stages"`
	Counts        ingestion.Counts  `json:"counts"`
	Errors        []ingestion.Issue `json:"errors"`
	Warnings      []ingestion.Issue `json:"warnings"`
	// Head is the branch head the sync processed; PullRequest the URL of the
	// pull request it opened in pull-request mode; CoalescedInto the sync
	// that covers this trigger when another sync of the fabric was running.
	Head          string `json:"head,omitempty"`
	PullRequest   string `json:"pull_request,omitempty"`
	CoalescedInto string `json:"coalesced_into,omitempty"`
	ValidateOnly  bool   `json:"validate_only,omitempty"`
	// Covers lists the syncs a follow-up covers, each of which names it in
	// CoalescedInto. Fence is the fencing token the sync took right before
	// its push, also in its commits' FGD-Fence trailer.
	Covers []string `json:"covers,omitempty"`
	Fence  int64    `json:"fence,omitempty"`
}

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
