package gitcache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// BenchmarkCommitLargeTree measures, on a fabric of 10,000 managed files,
// the fetch-and-reset of a cached clone and the commit of a one-file change.
func BenchmarkCommitLargeTree(b *testing.B) {
	srv := gittest.New(b, gittest.Options{})
	files := map[string]string{}
	for i := 0; i < 10000; i++ {
		files[fmt.Sprintf("managed/vpcs/vpc-%05d.yaml", i)] = fmt.Sprintf("kind: VPC\nmetadata:\n  name: vpc-%05d\n", i)
	}
	srv.Commit(files, nil, "10k files")
	rc := &RepoCache{Dir: b.TempDir(), Author: Author{Name: "fgd-sync", Email: "bot@example.com"}, Allowed: allow(srv)}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		openStart := time.Now()
		co, err := rc.Open(ctx, "dc1", "acme/x", srv.RepoURL(), "main", ".")
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			b.ReportMetric(float64(time.Since(openStart).Milliseconds()), "ms/fetch+reset")
		}
		b.StartTimer()
		start := time.Now()
		sha, err := co.Commit(".", Change{Writes: map[string][]byte{fmt.Sprintf("managed/vpcs/vpc-%05d.yaml", i%10000): []byte(fmt.Sprintf("changed %d\n", i))}}, "one change")
		if err != nil || sha == "" {
			b.Fatal(sha, err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/commit")
	}
}
