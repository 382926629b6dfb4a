//go:build linux

package fabricdir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkApply writes the shape of the 10,126-document corpus (one file
// a resource, ~20 kind folders, ~320 bytes each) into a fresh folder, on 1
// to 8 writers, to choose DefaultWorkers on the disk at hand.
func BenchmarkApply(b *testing.B) {
	const files, kinds = 10126, 20
	body := []byte(strings.Repeat("spec: {field: value}\n", 15))
	writes := make([]File, files)
	for i := range writes {
		writes[i] = File{Path: fmt.Sprintf("managed/kind%02d/resource-%05d.yaml", i%kinds, i), Data: body}
	}
	for _, workers := range []int{1, 2, 4, 8, 16} {
		for _, exact := range []bool{false, true} {
			b.Run(fmt.Sprintf("workers=%d/exact=%v", workers, exact), func(b *testing.B) {
				top := b.TempDir()
				b.ReportAllocs()
				for i := range b.N {
					b.StopTimer()
					dir := filepath.Join(top, fmt.Sprint(i))
					if err := os.Mkdir(dir, 0o755); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					d, err := Open(dir, Options{Workers: workers, ExactModes: exact})
					if err != nil {
						b.Fatal(err)
					}
					if err := d.Apply(context.Background(), writes, nil); err != nil {
						b.Fatal(err)
					}
					d.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*files), "µs/file")
			})
		}
	}
}
