package jobs

import (
	"context"
	"path"
	"strings"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
	"github.com/githedgehog/fgd-sync/store"
)

// InventoryStore keeps each fabric's managed resources as of its last sync.
type InventoryStore interface {
	PutInventory(ctx context.Context, fabric string, items []store.Resource) error
	Inventory(ctx context.Context, fabric, kind string) ([]store.Resource, error)
}

// saveInventory records the managed resources as of this sync, on the
// fabric branch (pull-request mode has not landed them yet).
func (s *syncRun) saveInventory(ctx context.Context, plan *ingestion.Plan, commit string) {
	if s.fab.WriteMode == fabrics.WriteModePullRequest {
		return
	}
	items := make([]store.Resource, 0, len(plan.Resources))
	for _, r := range plan.Resources {
		meta, _ := r.Object["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		items = append(items, store.Resource{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
			Path: path.Join(s.fab.Path, r.Path), Labels: labels, Annotations: annotations, Spec: r.Object["spec"], Commit: commit})
	}
	if err := s.h.Store.PutInventory(ctx, s.fab.Name, items); err != nil {
		s.log.Warn("could not store the inventory", "error", err)
		s.rec.Warnings = append(s.rec.Warnings, ingestion.Issue{Code: fgderr.Store, Message: "inventory not updated: " + err.Error()})
	}
}

// inventoryResources turns stored inventory items back into resources as
// ingestion sees them: paths relative to the fabric folder, and the object
// rebuilt from what the inventory keeps (metadata and spec).
func inventoryResources(fabricPath string, items []store.Resource) []ingestion.Resource {
	prefix := path.Clean(fabricPath) + "/"
	out := make([]ingestion.Resource, 0, len(items))
	for _, it := range items {
		meta := map[string]any{"name": it.Name, "namespace": it.Namespace}
		if it.Labels != nil {
			meta["labels"] = it.Labels
		}
		if it.Annotations != nil {
			meta["annotations"] = it.Annotations
		}
		obj := map[string]any{"apiVersion": it.APIVersion, "kind": it.Kind, "metadata": meta}
		if it.Spec != nil {
			obj["spec"] = it.Spec
		}
		rel := it.Path
		if prefix != "./" {
			rel = strings.TrimPrefix(rel, prefix)
		}
		out = append(out, ingestion.Resource{APIVersion: it.APIVersion, Kind: it.Kind, Namespace: it.Namespace, Name: it.Name, Path: rel, Object: obj})
	}
	return out
}
