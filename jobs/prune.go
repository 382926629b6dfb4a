package jobs

import (
	"context"
	"log/slog"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/github/gitcache"
)

// ClonePruner removes the cached clones that keep refuses
// (*gitcache.RepoCache).
type ClonePruner interface {
	Prune(keep func(key, fabric string) bool) ([]string, error)
}

// LockReader tells who holds a fabric's sync lock ("" for no one).
type LockReader interface {
	LockHolder(ctx context.Context, fabric string) (string, error)
}

// CachePruner keeps a worker's clone cache to the registry: it drops the
// clones of fabrics that no longer exist, and those of an earlier remote or
// branch of a fabric that does. Every worker runs it at start and at every
// schedule refresh (Schedule.Prune), so a cleanup or a changed clone_url
// reaches every replica within one refresh. A clone whose fabric is locked
// stays until the next refresh: a sync may be using it.
type CachePruner struct {
	Logger *slog.Logger
	Clones ClonePruner
	Locks  LockReader
	APIURL string // for the default clone URL of GHES, as SyncHandler.APIURL
}

// CachePruner is the pruner of the sync handler's clone cache, or nil when
// its Repos cannot prune.
func (h *SyncHandler) CachePruner() *CachePruner {
	clones, ok := h.Repos.(ClonePruner)
	if !ok {
		return nil
	}
	return &CachePruner{Logger: h.Logger, Clones: clones, Locks: h.Store, APIURL: h.APIURL}
}

// Prune drops every clone that is not the current one of a registered
// fabric: its branch clone or its pull-request clone. It answers the keys
// it removed.
func (p *CachePruner) Prune(ctx context.Context, registered []fabrics.Fabric) []string {
	current := make(map[string]bool, len(registered))
	for _, f := range registered {
		url := gitcache.CloneURL(f.CloneURL, p.APIURL, f.Repository)
		current[gitcache.CacheKey(f.Name, url, f.Branch)] = true
		current[gitcache.PullRequestCacheKey(f.Name, url)] = true
	}
	removed, err := p.Clones.Prune(func(key, fabric string) bool {
		if current[key] {
			return true
		}
		holder, err := p.Locks.LockHolder(ctx, fabric)
		return err != nil || holder != ""
	})
	if err != nil {
		p.Logger.Warn("could not prune the repository cache", "error", err)
	}
	for _, key := range removed {
		p.Logger.Info("dropped a cached clone that no registered fabric uses", "key", key)
	}
	return removed
}
