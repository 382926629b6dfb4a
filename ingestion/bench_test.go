package ingestion

import (
	"bytes"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

// BenchmarkIngest plans the 10,126-document corpus, schema validation on.
// Run with -cpu 1,2 to see one and two cores.
func BenchmarkIngest(b *testing.B) {
	in := fstest.MapFS{}
	size := 0
	for name, data := range benchcorpus.Files(benchcorpus.Copies) {
		in[name] = &fstest.MapFile{Data: data}
		size += len(data)
	}
	bundle := testBundle(b)
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		p, err := Ingest(in, Options{Bundle: bundle})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Errors) != 0 || p.Counts.ResourcesCreated != docs {
			b.Fatalf("%d resources, errors %v", p.Counts.ResourcesCreated, p.Errors[:min(3, len(p.Errors))])
		}
	}
	b.ReportMetric(float64(docs*b.N)/time.Since(start).Seconds(), "docs/s")
}

// BenchmarkAliasBomb measures how fast a billion-laughs file is refused.
func BenchmarkAliasBomb(b *testing.B) {
	data, err := os.ReadFile("testdata/alias-bomb/bomb.yaml")
	if err != nil {
		b.Fatal(err)
	}
	in := fstest.MapFS{"raw/bomb.yaml": {Data: data}}
	bundle := testBundle(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Ingest(in, Options{Bundle: bundle})
		if err != nil || len(p.Errors) != 1 {
			b.Fatal(err, p.Errors)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/refusal")
}

// BenchmarkOversizedFile: a 50 MB raw file is refused before it is parsed
// (and before it is read: the plan only looks at its size).
func BenchmarkOversizedFile(b *testing.B) {
	big := bytes.Repeat([]byte("# filler line of a very large raw file\n"), 50<<20/39)
	in := fstest.MapFS{"raw/huge.yaml": {Data: big}}
	bundle := testBundle(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Ingest(in, Options{Bundle: bundle})
		if err != nil || len(p.Errors) != 1 || p.Errors[0].Code != fgderr.LimitExceeded {
			b.Fatal(err, p.Errors)
		}
	}
	b.ReportMetric(float64(len(big))/1e6, "MB-file")
}

// BenchmarkLoadBundle is the start-up cost of compiling the 22 CRD schemas.
func BenchmarkLoadBundle(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := LoadBundle(); err != nil {
			b.Fatal(err)
		}
	}
}
