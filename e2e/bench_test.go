package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/config"
	"github.com/githedgehog/fgd-sync/internal/benchcorpus"
	"github.com/githedgehog/fgd-sync/internal/gittest"
)

// waitBotHead polls the remote until its head is a bot commit other than
// before, and returns when it saw it.
func waitBotHead(b testing.TB, g *gittest.Server, before string, within time.Duration) time.Time {
	at, err := botHeadWithin(g, before, within)
	if err != nil {
		b.Fatal(err)
	}
	return at
}

func botHeadWithin(g *gittest.Server, before string, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	for {
		head := g.Head("main")
		if head != before {
			if log := g.Log("main"); log[0].Author == "fgd-sync" {
				return time.Now(), nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("no write-back within %s", within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

// BenchmarkSyncLatency measures push → write-back commit on the remote for a
// fabric of 200 resources, over 20 syncs per iteration (run with
// -benchtime 1x), on the local git server with real Redis.
func BenchmarkSyncLatency(b *testing.B) {
	e := newEnv(b, envOptions{})
	e.startWorker(gitToken)
	// 166 resources from the real sample, and 34 VPCs: 200.
	files := map[string]string{}
	for name, data := range benchcorpus.Files(1) {
		files[name] = string(data)
	}
	for i := 0; i < 34; i++ {
		files[fmt.Sprintf("raw/vpc-%02d.yaml", i)] = vpc(fmt.Sprintf("vpc-%02d", i), 2000+i)
	}
	before := e.git.Head("main")
	e.git.Commit(files, nil, "200 resources")
	e.push("bench-initial", "raw/copy-00.yaml")
	waitBotHead(b, e.git, before, time.Minute)
	if n := len(gittest.Files(e.git.Tree("main"), "managed/")); n != 200 {
		b.Fatalf("%d managed resources, want 200", n)
	}

	const syncs = 20
	var lat []time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for i := 0; i < syncs; i++ {
			name := fmt.Sprintf("raw/change-%d-%02d.yaml", it, i)
			head := e.git.Commit(map[string]string{name: vpc(fmt.Sprintf("vpc-%02d", i), 3000+it*syncs+i)}, nil, "change")
			start := time.Now()
			e.push(fmt.Sprintf("bench-%d-%02d", it, i), name)
			lat = append(lat, waitBotHead(b, e.git, head, time.Minute).Sub(start))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.50).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.95).Milliseconds()), "p95-ms")
}

// BenchmarkFiftyFabrics measures 50 fabrics, each on its own repository,
// pushed at once and synced by one worker of the default pool size.
func BenchmarkFiftyFabrics(b *testing.B) {
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		e := newEnv(b, envOptions{})
		const n = 50
		servers := make([]*gittest.Server, n)
		var yaml strings.Builder
		yaml.WriteString("fabrics:\n")
		for i := range servers {
			servers[i] = gittest.New(b, gittest.Options{})
			raw := map[string]string{}
			for j := 0; j < 20; j++ {
				raw[fmt.Sprintf("raw/vpc-%02d.yaml", j)] = vpc(fmt.Sprintf("vpc-%02d", j), 1000+j)
			}
			servers[i].Commit(raw, nil, "raw")
			fmt.Fprintf(&yaml, "  - {name: f%02d, repository: acme/f%02d, clone_url: %s}\n", i, i, servers[i].RepoURL())
		}
		file := filepath.Join(b.TempDir(), "fabrics.yaml")
		if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		// The 50 repositories need no credentials; without a token there is
		// no GitHub API either, which is not the point here.
		vars := e.vars("")
		vars[config.VarFabricsFile], vars[config.VarWorkerPoolSize] = file, "10"
		allowed := make([]string, len(servers))
		for i, s := range servers {
			allowed[i] = s.URL + "/"
		}
		vars[config.VarGitAllowedURLs] = strings.Join(allowed, ",")
		e.startWorkerWith(e.load(config.RoleWorker, vars))
		e.webhook = e.startWebhook(vars)

		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range servers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				before := servers[i].Head("main")
				if _, err := pushFor(e, fmt.Sprintf("acme/f%02d", i), fmt.Sprintf("fifty-%d-%02d", it, i), before); err != nil {
					b.Error(err)
					return
				}
				if _, err := botHeadWithin(servers[i], before, 2*time.Minute); err != nil {
					b.Error(err)
				}
			}(i)
		}
		wg.Wait()
		b.ReportMetric(time.Since(start).Seconds(), "s/50-fabrics")
		b.StopTimer()
	}
}
