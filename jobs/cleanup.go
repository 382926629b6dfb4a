package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// FabricStateStore forgets a deleted fabric's state in Redis.
type FabricStateStore interface {
	DropFabric(ctx context.Context, fabric string) error
}

// CacheDropper removes a fabric's cached clones.
type CacheDropper interface {
	DropFabric(fabric string) error
}

// CleanupHandler runs fgd:cleanup tasks: it forgets a deleted fabric's
// cached clones on this worker, lock, pending follow-up and inventory; the
// other workers drop their clones at their next schedule refresh
// (CachePruner). Records stay until their TTL; the repository is never
// touched.
type CleanupHandler struct {
	Logger  *slog.Logger
	Fabrics FabricSource
	Store   FabricStateStore
	Caches  CacheDropper
}

// Cleanup is the cleanup handler on the sync handler's dependencies.
func (h *SyncHandler) Cleanup() *CleanupHandler {
	return &CleanupHandler{Logger: h.Logger, Fabrics: h.Fabrics, Store: h.Store, Caches: h.Repos}
}

// HandleCleanupTask processes one cleanup task.
func (h *CleanupHandler) HandleCleanupTask(ctx context.Context, t *asynq.Task) error {
	var p CleanupPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Fabric == "" {
		return fmt.Errorf("%w: cleanup payload: %w", ErrInvalidPayload, asynq.SkipRetry)
	}
	if _, err := h.Fabrics.Fabric(ctx, p.Fabric); err == nil {
		h.Logger.Info("cleanup skipped: the fabric exists again", "fabric", p.Fabric)
		return nil
	}
	if err := h.Caches.DropFabric(p.Fabric); err != nil {
		return fmt.Errorf("drop the cache of %s: %w", p.Fabric, err)
	}
	if err := h.Store.DropFabric(ctx, p.Fabric); err != nil {
		return fgderr.Retryable(fgderr.Redis, "drop the fabric's state", err)
	}
	h.Logger.Info("fabric cleaned up", "fabric", p.Fabric)
	return nil
}
