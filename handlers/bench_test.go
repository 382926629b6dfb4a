package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/internal/testredis"
)

// benchServer is the production webhook server (app.NewWebhook) on a
// private Redis with AOF on (appendfsync everysec), as production runs it;
// the fabrics are in the Redis registry.
func benchServer(b *testing.B) (string, *http.Client, []byte) {
	b.Helper()
	rs := testredis.NewPrivate(b, testredis.Options{AOF: true})
	srv := httptest.NewServer(openWebhook(b, rs, io.Discard, nil))
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

	// A realistic push: three commits with file lists, full repository and
	// sender objects, about 6 KB like GitHub's.
	ev := pushEvent(testRepo, "refs/heads/main", "fabrics/dc1/raw/vpcs.yaml", "fabrics/dc1/raw/connections.yaml")
	for i := 0; i < 2; i++ {
		c := *ev.Commits[0]
		c.Message = gh.String(fmt.Sprintf("Update fabric part %d", i))
		c.Modified = []string{"fabrics/dc1/managed/vpcs/vpc-1.yaml", "docs/notes.md"}
		ev.Commits = append(ev.Commits, &c)
	}
	ev.Size = gh.Int(len(ev.Commits))
	return srv.URL + "/webhooks/github", client, mustJSON(b, ev)
}

func deliver(client *http.Client, url string, body []byte, sig, delivery string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkWebhookDelivery measures signed delivery → durable enqueue, end to
// end over HTTP on loopback, as fast as the server takes them.
func BenchmarkWebhookDelivery(b *testing.B) {
	url, client, body := benchServer(b)
	sig := sign(testSecret, body)
	prefix := testredis.Unique("bench")
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			code, err := deliver(client, url, body, sig, fmt.Sprintf("%s-%d", prefix, n.Add(1)))
			if err != nil || code != http.StatusAccepted {
				b.Errorf("delivery: %d %v", code, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkWebhookFixedRate offers 1,000 deliveries a second for 3 s per
// iteration and reports the latency percentiles. Run it with -benchtime 1x.
func BenchmarkWebhookFixedRate(b *testing.B) {
	url, client, body := benchServer(b)
	sig := sign(testSecret, body)
	prefix := testredis.Unique("rate")
	const rate = 1000
	total := 3 * rate * b.N
	latencies := make([]time.Duration, total)
	var wg sync.WaitGroup
	var failures atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < total; i++ {
		// Open-loop arrivals: request i is due at start + i/rate, whatever
		// the earlier ones are doing.
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			code, err := deliver(client, url, body, sig, fmt.Sprintf("%s-%d", prefix, i))
			latencies[i] = time.Since(t0)
			if err != nil || code != http.StatusAccepted {
				failures.Add(1)
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d deliveries failed", f, total)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "offered/s")
}
