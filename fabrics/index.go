package fabrics

import (
	"context"
	"errors"
	"fmt"
)

// StaticIndex answers which fabrics watch a repository, from a fixed list. It
// is a map lookup, so its cost does not grow with the number of fabrics.
type StaticIndex struct {
	byRepo map[string][]Fabric
	byName map[string]Fabric
}

// ErrUnknownFabric is a fabric name that is not registered.
var ErrUnknownFabric = errors.New("fabric is not registered")

// NewStaticIndex indexes fabrics by repository. The list must be valid.
func NewStaticIndex(list []Fabric) *StaticIndex {
	idx := &StaticIndex{byRepo: make(map[string][]Fabric, len(list)), byName: make(map[string]Fabric, len(list))}
	for _, f := range list {
		idx.byName[f.Name] = f
		k := RepositoryKey(f.Repository)
		idx.byRepo[k] = append(idx.byRepo[k], f)
	}
	return idx
}

// ByRepository returns the fabrics whose repository is repo, in any case.
func (i *StaticIndex) ByRepository(_ context.Context, repo string) ([]Fabric, error) {
	return i.byRepo[RepositoryKey(repo)], nil
}

// Fabric returns a fabric by name, or an error wrapping ErrUnknownFabric.
func (i *StaticIndex) Fabric(_ context.Context, name string) (Fabric, error) {
	f, ok := i.byName[name]
	if !ok {
		return Fabric{}, fmt.Errorf("%w: %q", ErrUnknownFabric, name)
	}
	return f, nil
}
