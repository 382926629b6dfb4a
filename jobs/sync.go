// Package jobs holds fgd-sync's asynq task types: for each job a type
// constant, a typed payload, a NewXTask constructor and a HandleXTask handler.
package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// TypeSync is the task type of one sync of one fabric.
const TypeSync = "fgd:sync"

// DefaultQueue is the asynq queue fgd-sync's tasks go to.
const DefaultQueue = "fgd"

// DeliveryRetention is how long a finished sync task is kept so that its
// TaskID keeps rejecting redeliveries: GitHub lets a delivery be redelivered
// for three days.
const DeliveryRetention = 72 * time.Hour

// MaxSyncRetries bounds asynq's retries of a sync with transient failures.
const MaxSyncRetries = 10

// Trigger says what started a sync.
type Trigger string

// The triggers a sync record names (docs/contract.md).
const (
	TriggerWebhook       Trigger = "webhook"
	TriggerManual        Trigger = "manual"
	TriggerScheduled     Trigger = "scheduled"
	TriggerFabricCreated Trigger = "fabric_created"
	TriggerPullRequest   Trigger = "pull_request"
)

// SyncPayload is the payload of a TypeSync task.
type SyncPayload struct {
	SyncID     string  `json:"sync_id"`
	Fabric     string  `json:"fabric"`
	Trigger    Trigger `json:"trigger"`
	Ref        string  `json:"ref,omitempty"`
	Before     string  `json:"before,omitempty"`
	After      string  `json:"after,omitempty"`
	DeliveryID string  `json:"delivery_id,omitempty"`
	// CreatedAt is when the trigger arrived: the record's created_at.
	CreatedAt time.Time   `json:"created_at,omitempty"`
	Options   SyncOptions `json:"options,omitempty"`
	// PullRequest is what a sync with trigger pull_request validates.
	PullRequest *PullRequestTarget `json:"pull_request,omitempty"`
}

// SyncOptions are the admin API's options of a manual sync.
type SyncOptions struct {
	ValidateOnly   bool `json:"validate_only,omitempty"`
	ForceRefresh   bool `json:"force_refresh,omitempty"`
	TimeoutSeconds int  `json:"timeout_seconds,omitempty"`
}

// ErrInvalidPayload marks a task payload that can never be processed.
var ErrInvalidPayload = errors.New("invalid task payload")

// Validate checks the fields every sync needs.
func (p SyncPayload) Validate() error {
	switch {
	case p.SyncID == "" && p.Trigger != TriggerScheduled:
		// A scheduled sync takes its id from its asynq task id, since the
		// scheduler enqueues the same payload every time.
		return fmt.Errorf("%w: sync_id is empty", ErrInvalidPayload)
	case p.Fabric == "":
		return fmt.Errorf("%w: fabric is empty", ErrInvalidPayload)
	}
	switch p.Trigger {
	case TriggerWebhook, TriggerManual, TriggerScheduled, TriggerFabricCreated:
	case TriggerPullRequest:
		return p.PullRequest.validate()
	default:
		return fmt.Errorf("%w: unknown trigger %q", ErrInvalidPayload, p.Trigger)
	}
	return nil
}

// webhookSyncNamespace seeds the name-based UUIDs of webhook syncs.
var webhookSyncNamespace = uuid.MustParse("6f1b7a8e-3c1d-4f0a-9a53-5d0f6c1f2b7e")

// WebhookSyncID is the sync id of a delivery for a fabric. It is derived from
// the delivery id, so a redelivery maps to the same id and hence the same
// asynq TaskID, which asynq refuses to enqueue twice.
func WebhookSyncID(deliveryID, fabric string) string {
	return uuid.NewSHA1(webhookSyncNamespace, []byte(deliveryID+"\x00"+fabric)).String()
}

// NewSyncTask returns the task for p. Its TaskID is the sync id.
func NewSyncTask(p SyncPayload, opts ...asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode sync payload: %w", err)
	}
	base := []asynq.Option{
		asynq.Queue(DefaultQueue),
		asynq.MaxRetry(MaxSyncRetries),
	}
	if p.SyncID != "" {
		base = append(base, asynq.TaskID(p.SyncID))
	}
	if p.Trigger == TriggerWebhook || p.Trigger == TriggerPullRequest {
		// Only a delivery id can come again; other syncs need no tombstone.
		base = append(base, asynq.Retention(DeliveryRetention))
	}
	typ := TypeSync
	if p.Trigger == TriggerFabricCreated {
		typ = TypeInit
	}
	return asynq.NewTask(typ, b, append(base, opts...)...), nil
}

// TypeInit is the task type that initializes a new fabric's folder (one
// commit with what is missing) and then syncs it. Its payload is a
// SyncPayload with trigger fabric_created; build it with NewInitTask.
const TypeInit = "fgd:init"

// NewInitTask returns the init task of a fabric just created.
func NewInitTask(syncID, fabric string, opts ...asynq.Option) (*asynq.Task, error) {
	return NewSyncTask(SyncPayload{SyncID: syncID, Fabric: fabric, Trigger: TriggerFabricCreated, CreatedAt: time.Now().UTC()}, opts...)
}

// TypeCleanup is the task type that forgets a deleted fabric: its cache,
// lock and inventory. The repository is never touched.
const TypeCleanup = "fgd:cleanup"

// CleanupPayload is the payload of a TypeCleanup task.
type CleanupPayload struct {
	Fabric string `json:"fabric"`
}

// NewCleanupTask returns the cleanup task of a deleted fabric.
func NewCleanupTask(fabric string, opts ...asynq.Option) (*asynq.Task, error) {
	if fabric == "" {
		return nil, fmt.Errorf("%w: fabric is empty", ErrInvalidPayload)
	}
	b, err := json.Marshal(CleanupPayload{Fabric: fabric})
	if err != nil {
		return nil, err
	}
	base := []asynq.Option{asynq.Queue(DefaultQueue), asynq.MaxRetry(5)}
	return asynq.NewTask(TypeCleanup, b, append(base, opts...)...), nil
}

// NewScheduledSyncTask is the periodic safety-net sync of a fabric. Unique
// keeps at most one of them waiting per fabric when workers fall behind.
func NewScheduledSyncTask(fabric string, interval time.Duration, opts ...asynq.Option) (*asynq.Task, error) {
	unique := max(interval, 5*time.Second)
	return NewSyncTask(SyncPayload{Fabric: fabric, Trigger: TriggerScheduled}, append([]asynq.Option{asynq.Unique(unique)}, opts...)...)
}

// ParseSyncPayload decodes and validates a TypeSync payload.
func ParseSyncPayload(b []byte) (SyncPayload, error) {
	var p SyncPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return SyncPayload{}, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	return p, p.Validate()
}
