package ingestion

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

// benchFabric is the benchmark corpus as an FGD: the raw files and the
// fabric config that turns the [cfg] rules on.
func benchFabric() (fstest.MapFS, int) {
	in := fstest.MapFS{FabricConfigPath: {Data: benchcorpus.FabricConfigYAML(benchcorpus.Copies)}}
	size := 0
	for name, data := range benchcorpus.Files(benchcorpus.Copies) {
		in[name] = &fstest.MapFile{Data: data}
		size += len(data)
	}
	return in, size
}

// checkLandsWhole fails unless every document of the corpus lands in
// managed/: the figure must measure the checks, not rejections.
func checkLandsWhole(tb testing.TB, p *Plan) {
	tb.Helper()
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy
	if len(p.Errors) != 0 || p.Counts.ResourcesCreated != docs || p.Counts.FilesRejected != 0 {
		tb.Fatalf("%d resources of %d, %d files rejected, errors %v", p.Counts.ResourcesCreated, docs, p.Counts.FilesRejected, p.Errors[:min(3, len(p.Errors))])
	}
	for _, s := range p.Sources {
		if s.Outcome != OutcomeIngested || s.Hedgehog != s.Documents || s.Documents != benchcorpus.DocumentsPerCopy {
			tb.Fatalf("%s: %s, %d of %d documents to managed/", s.Path, s.Outcome, s.Hedgehog, s.Documents)
		}
	}
}

// TestBenchCorpusValid keeps the benchmark honest without running it: with
// every rule on, the whole corpus lands.
func TestBenchCorpusValid(t *testing.T) {
	in, _ := benchFabric()
	p := mustIngest(t, in, Options{})
	checkLandsWhole(t, p)
	checkAccounting(t, in, p)
	// The only warning: the switches' SwitchProfile, which the installer
	// provides, named by every switch (SW-10) and, through its switch, by
	// every attachment (VA-10).
	refs := benchcorpus.Copies*10 + benchcorpus.Copies*64 - 1
	if len(p.Warnings) != 1 || p.Warnings[0].Rule != "SW-10" || !strings.Contains(p.Warnings[0].Message, fmt.Sprintf("referenced %d more times", refs)) {
		t.Fatalf("warnings: %+v", p.Warnings)
	}
}

// BenchmarkIngest plans the 10,126-document corpus with every rule on:
// schema, Hedgehog's local rules, the fabric config's rules and the
// cross-resource rules over the whole fabric. Run with -cpu 1,2 to see one
// and two cores. docs/s is wall time; docs/cpu-s divides by the CPU time
// the process used, which a busy machine does not inflate (with -cpu 1,
// the garbage collector shares the one core).
func BenchmarkIngest(b *testing.B) {
	in, size := benchFabric()
	bundle := testBundle(b)
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	for i := 0; i < b.N; i++ {
		p, err := Ingest(in, Options{Bundle: bundle})
		if err != nil {
			b.Fatal(err)
		}
		checkLandsWhole(b, p)
	}
	b.ReportMetric(float64(docs*b.N)/time.Since(start).Seconds(), "docs/s")
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(docs*b.N)/used.Seconds(), "docs/cpu-s")
	}
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

// BenchmarkValidateFiles is fgdctl validate's work on the corpus as one
// file, with every rule on: the lean plan, which drops each document once
// checked. docs/cpu-s as in BenchmarkIngest.
func BenchmarkValidateFiles(b *testing.B) {
	var one bytes.Buffer
	files := benchcorpus.Files(benchcorpus.Copies)
	for _, n := range sortedKeys(files) {
		one.WriteString("---\n")
		one.Write(files[n])
	}
	cfg, issue := ParseFabricConfig(benchcorpus.FabricConfigYAML(benchcorpus.Copies))
	if issue != nil {
		b.Fatalf("fabric config: %+v", issue)
	}
	bundle := testBundle(b)
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy
	b.SetBytes(int64(one.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	for i := 0; i < b.N; i++ {
		p, err := ValidateFiles(map[string][]byte{"corpus.yaml": one.Bytes()}, Options{Bundle: bundle, FabricConfig: cfg})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Errors) != 0 || p.Counts.ResourcesCreated != docs {
			b.Fatalf("%d resources of %d, errors %v", p.Counts.ResourcesCreated, docs, p.Errors[:min(3, len(p.Errors))])
		}
	}
	b.ReportMetric(float64(docs*b.N)/time.Since(start).Seconds(), "docs/s")
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(docs*b.N)/used.Seconds(), "docs/cpu-s")
	}
}
