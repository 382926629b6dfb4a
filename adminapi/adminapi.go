// Package adminapi declares the bodies of the admin API (/api/v1, see
// docs/contract.md) that are not a fabric or a sync record themselves. The
// server (handlers) writes them and the client (fgdctl) reads them, so both
// agree on one shape; fabrics.Fabric, syncrecord.Record and syncrecord.Resource are
// the bodies' parts.
//
// It holds types only, so that fgdctl links neither the server nor Redis.
package adminapi

import (
	"time"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/syncrecord"
)

// FabricList answers GET /fabrics.
type FabricList struct {
	Fabrics []fabrics.Fabric `json:"fabrics"`
}

// FabricCreated answers POST /fabrics: the fabric as stored and its init sync.
type FabricCreated struct {
	Fabric fabrics.Fabric `json:"fabric"`
	SyncID string         `json:"sync_id"`
}

// StatusDeleted is FabricDeleted's status.
const StatusDeleted = "deleted"

// FabricDeleted answers DELETE /fabrics/{name}.
type FabricDeleted struct {
	Status string         `json:"status"`
	Fabric fabrics.Fabric `json:"fabric"`
}

// SyncRequest is the body of POST /fabrics/{name}/sync; an empty body means
// no options.
type SyncRequest struct {
	Options SyncOptions `json:"options"`
}

// SyncOptions are a manual sync's options. Their fields are those of
// jobs.SyncOptions, which the server converts them to, so a field added on
// one side and not the other does not compile.
type SyncOptions struct {
	ValidateOnly   bool `json:"validate_only,omitempty"`
	ForceRefresh   bool `json:"force_refresh,omitempty"`
	TimeoutSeconds int  `json:"timeout_seconds,omitempty"`
}

// SyncAccepted answers POST /fabrics/{name}/sync with 202.
type SyncAccepted struct {
	SyncID string `json:"sync_id"`
}

// SyncList answers GET /fabrics/{name}/syncs, newest first.
type SyncList struct {
	Fabric string               `json:"fabric"`
	Syncs  []*syncrecord.Record `json:"syncs"`
}

// ResourceList answers GET /fabrics/{name}/resources, sorted by path.
type ResourceList struct {
	Fabric    string                `json:"fabric"`
	Resources []syncrecord.Resource `json:"resources"`
}

// Health answers GET /health.
type Health struct {
	Redis          string  `json:"redis"`
	RedisLatencyMS float64 `json:"redis_latency_ms"`
	// Queue is the backlog by state (pending, active, scheduled, retry,
	// archived); empty when the queue could not be read.
	Queue   map[string]int `json:"queue"`
	Workers []Worker       `json:"workers"`
}

// Worker is one worker process asynq has seen.
type Worker struct {
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	Status      string    `json:"status"`
	Concurrency int       `json:"concurrency"`
	Active      int       `json:"active"`
	Started     time.Time `json:"started"`
}

// Error is every error answer's body (docs/codes.md).
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong. SyncID names the running sync in a 409
// FGD_3001 answer.
type ErrorDetail struct {
	Code    fgderr.Code `json:"code"`
	Message string      `json:"message"`
	SyncID  string      `json:"sync_id,omitempty"`
}
