package fabrics

import "context"

// StaticIndex answers which fabrics watch a repository, from a fixed list. It
// is a map lookup, so its cost does not grow with the number of fabrics.
type StaticIndex struct {
	byRepo map[string][]Fabric
}

// NewStaticIndex indexes fabrics by repository. The list must be valid.
func NewStaticIndex(list []Fabric) *StaticIndex {
	idx := &StaticIndex{byRepo: make(map[string][]Fabric, len(list))}
	for _, f := range list {
		k := RepositoryKey(f.Repository)
		idx.byRepo[k] = append(idx.byRepo[k], f)
	}
	return idx
}

// ByRepository returns the fabrics whose repository is repo, in any case.
func (i *StaticIndex) ByRepository(_ context.Context, repo string) ([]Fabric, error) {
	return i.byRepo[RepositoryKey(repo)], nil
}
