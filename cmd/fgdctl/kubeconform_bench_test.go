package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
)

// kubeconformVersion is the kubeconform the validate benchmark measures against.
const kubeconformVersion = "v0.8.0"

// kubeconformSchemaLocation is kubeconform's default location template for
// CRDs, below the folder of the converted schemas.
const kubeconformSchemaLocation = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

// findKubeconform returns kubeconform v0.8.0 from $KUBECONFORM or PATH,
// else builds it once into the user cache (go install), else "".
// kubeconform built by go install prints "development" for -v, so the
// version is read from the binary's module information.
func findKubeconform(b *testing.B) string {
	b.Helper()
	isPinned := func(bin string) bool {
		out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
		return err == nil && regexp.MustCompile(`(?m)^\s+mod\s+github.com/yannh/kubeconform\s+`+regexp.QuoteMeta(kubeconformVersion)+`\s`).Match(out)
	}
	for _, c := range []string{os.Getenv("KUBECONFORM"), "kubeconform"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil && isPinned(p) {
			return p
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bindir := filepath.Join(cache, "fgd-sync", "kubeconform-"+kubeconformVersion)
	bin := filepath.Join(bindir, "kubeconform")
	if isPinned(bin) {
		return bin
	}
	b.Logf("building kubeconform %s into %s (once)", kubeconformVersion, bindir)
	cmd := exec.Command("go", "install", "github.com/yannh/kubeconform/cmd/kubeconform@"+kubeconformVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bindir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil || !isPinned(bin) {
		b.Logf("go install kubeconform: %v\n%s", err, out)
		return ""
	}
	return bin
}

// writeStrictSchemas converts every CRD in crdDir to JSON Schema the way
// kubeconform's openapi2jsonschema.py does (one file per served version,
// int-or-string as oneOf string|integer), made strict: every object with
// properties and no additionalProperties of its own is closed, the root
// included. The files are named as kubeconformSchemaLocation expects.
// It returns how many schemas it wrote.
func writeStrictSchemas(crdDir, outDir string) (int, error) {
	crds, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range crds {
		data, err := os.ReadFile(f)
		if err != nil {
			return n, err
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return n, fmt.Errorf("%s: %w", f, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			schema := closeObjects(replaceIntOrString(v.Schema.OpenAPIV3Schema))
			js, err := json.MarshalIndent(schema, "", "  ")
			if err != nil {
				return n, err
			}
			p := filepath.Join(outDir, crd.Spec.Group, strings.ToLower(crd.Spec.Names.Kind)+"_"+v.Name+".json")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return n, err
			}
			if err := os.WriteFile(p, js, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// replaceIntOrString is openapi2jsonschema's replace_int_or_string.
func replaceIntOrString(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t["format"] == "int-or-string" {
			return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = replaceIntOrString(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = replaceIntOrString(x)
		}
		return out
	}
	return v
}

// closeObjects is openapi2jsonschema's additional_properties with
// DENY_ROOT_ADDITIONAL_PROPERTIES: additionalProperties false wherever
// properties are listed and additionalProperties is not.
func closeObjects(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["properties"]; ok {
			if _, set := t["additionalProperties"]; !set {
				t["additionalProperties"] = false
			}
		}
		for _, x := range t {
			closeObjects(x)
		}
	case []any:
		for _, x := range t {
			closeObjects(x)
		}
	}
	return v
}

// kubeconformSummary is kubeconform's -summary line.
var kubeconformSummary = regexp.MustCompile(`Summary: (\d+) resources? found in (\d+) files? - Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)`)

// timeChildOutput is timeChild that keeps the child's stdout and stderr,
// and accepts the exit codes given besides 0.
func timeChildOutput(b *testing.B, dir, name string, args ...string) (childRun, string, string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(stdout.String()), tail(stderr.String()))
	}
	wall := time.Since(started)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return childRun{wall: wall, user: cmd.ProcessState.UserTime(), sys: cmd.ProcessState.SystemTime(), maxRSS: ru.Maxrss * 1024}, stdout.String(), stderr.String()
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// BenchmarkValidateVsKubeconform runs `fgdctl validate` and kubeconform
// -strict (on the CRDs converted to strict JSON Schema) on the
// 10,126-document corpus as one file, in 3 alternating runs, and prints
// the median wall times, their ratio, documents per second and the peak
// RSS of each. Run with -benchtime 1x.
func BenchmarkValidateVsKubeconform(b *testing.B) {
	const runs = 3
	kc := findKubeconform(b)
	if kc == "" {
		b.Skipf("kubeconform %s is missing and could not be built (go install github.com/yannh/kubeconform/cmd/kubeconform@%s); set KUBECONFORM to a kubeconform %s binary",
			kubeconformVersion, kubeconformVersion, kubeconformVersion)
	}
	work := b.TempDir()
	fgdctlBin := filepath.Join(work, "fgdctl")
	if out, err := exec.Command("go", "build", "-o", fgdctlBin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build fgdctl: %v\n%s", err, out)
	}
	schemas := filepath.Join(work, "schemas")
	nSchemas, err := writeStrictSchemas(filepath.Join("..", "..", "ingestion", "crds"), schemas)
	if err != nil || nSchemas == 0 {
		b.Fatalf("convert the CRDs: %d schemas, %v", nSchemas, err)
	}
	corpus := filepath.Join(work, "corpus.yaml")
	if err := os.WriteFile(corpus, oneRawFile(), 0o644); err != nil {
		b.Fatal(err)
	}
	// The fabric config under which the corpus is valid: every rule runs.
	fabricConfig := filepath.Join(work, "fabric.yaml")
	if err := os.WriteFile(fabricConfig, benchcorpus.FabricConfigYAML(benchcorpus.Copies), 0o644); err != nil {
		b.Fatal(err)
	}
	docs := benchcorpus.Copies * benchcorpus.DocumentsPerCopy
	kcArgs := []string{"-strict", "-summary", "-schema-location", filepath.Join(schemas, kubeconformSchemaLocation), corpus}
	fgArgs := []string{"validate", "--fabric-config", fabricConfig, corpus}

	for i := 0; i < b.N; i++ {
		var fg, kcRuns []childRun
		runFgd := func() {
			r, stdout, stderr := timeChildOutput(b, work, fgdctlBin, fgArgs...)
			if stdout != "" || !strings.Contains(stderr, "1 files valid") {
				b.Fatalf("fgdctl validate did not pass the corpus:\nstdout %s\nstderr %s", tail(stdout), tail(stderr))
			}
			fg = append(fg, r)
		}
		runKc := func() {
			r, stdout, stderr := timeChildOutput(b, work, kc, kcArgs...)
			m := kubeconformSummary.FindStringSubmatch(stdout)
			if m == nil || m[1] != strconv.Itoa(docs) || m[3] != strconv.Itoa(docs) {
				b.Fatalf("kubeconform did not validate all %d documents:\nstdout %s\nstderr %s", docs, tail(stdout), tail(stderr))
			}
			kcRuns = append(kcRuns, r)
		}
		for run := range runs {
			if run%2 == 0 {
				runFgd()
				runKc()
			} else {
				runKc()
				runFgd()
			}
		}
		pick := func(rs []childRun, f func(childRun) time.Duration) time.Duration {
			ds := make([]time.Duration, len(rs))
			for i, r := range rs {
				ds[i] = f(r)
			}
			return median(ds)
		}
		peak := func(rs []childRun) float64 {
			var p int64
			for _, r := range rs {
				p = max(p, r.maxRSS)
			}
			return float64(p) / (1 << 20)
		}
		wall := func(r childRun) time.Duration { return r.wall }
		user := func(r childRun) time.Duration { return r.user }
		sys := func(r childRun) time.Duration { return r.sys }
		fgWall, kcWall := pick(fg, wall), pick(kcRuns, wall)
		ratio := fgWall.Seconds() / kcWall.Seconds()
		memRatio := peak(fg) / peak(kcRuns)
		fmt.Printf("validate of %d documents in one file, median of %d alternating runs (%d CPUs, %s/%s):\n", docs, runs, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
		fmt.Printf("  fgdctl validate          wall %6.3fs  user %6.3fs  sys %6.3fs  %6.0f docs/s  peak RSS %6.1f MiB\n",
			fgWall.Seconds(), pick(fg, user).Seconds(), pick(fg, sys).Seconds(), float64(docs)/fgWall.Seconds(), peak(fg))
		fmt.Printf("  kubeconform %s -strict wall %6.3fs  user %6.3fs  sys %6.3fs  %6.0f docs/s  peak RSS %6.1f MiB (%d schemas)\n",
			kubeconformVersion, kcWall.Seconds(), pick(kcRuns, user).Seconds(), pick(kcRuns, sys).Seconds(), float64(docs)/kcWall.Seconds(), peak(kcRuns), nSchemas)
		fmt.Printf("  fgdctl/kubeconform wall ratio %.2f (goal <= 1), peak RSS ratio %.2f (goal <= 2)\n", ratio, memRatio)
		b.ReportMetric(ratio, "fgdctl/kubeconform")
		b.ReportMetric(memRatio, "rss-fgdctl/kubeconform")
		b.ReportMetric(fgWall.Seconds(), "fgdctl-s")
		b.ReportMetric(kcWall.Seconds(), "kubeconform-s")
		b.ReportMetric(peak(fg), "fgdctl-peak-MiB")
		b.ReportMetric(peak(kcRuns), "kubeconform-peak-MiB")
	}
}
